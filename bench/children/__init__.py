"""Programs the benchmarks run as fresh processes, by path (so they import nothing of ``bench``)."""
