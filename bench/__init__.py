"""``make bench``: speed and size of the project's paths against naive and raw baselines.

Everything runs on loopback against the SMS emulator, started in its own process
(``bench.emulator``) so neither its CPU nor its memory counts for the measured side. Each
section measures its variants interleaved in the same run (medians, min, max) and ends in
target lines; see ``docs/performance.md``. Benchmarks, not tests: nothing here asserts a time
unless ``BENCH_STRICT=1`` asks for a non-zero exit on a missed target."""
