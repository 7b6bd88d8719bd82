"""What the children read of their own memory: a field of ``/proc/self/status`` in KiB
(``VmHWM`` is the peak RSS; ``ru_maxrss`` is no use, Linux folds the spawning parent's peak
into it across fork+exec)."""


def status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1
