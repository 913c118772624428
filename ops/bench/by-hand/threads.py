#!/usr/bin/env python3
"""Each thread's share of a core in a running process, every INTERVAL seconds, from /proc (the
threads above 5%, busiest first), until the process exits: which thread bounds a load, and how
busy it is. Run beside a load, e.g. `python3 ops/bench/by-hand/threads.py $(pgrep -f 'c360 serve') 2`.
Usage: threads.py PID [INTERVAL]"""
import os
import sys
import time


def cpu_by_thread(pid):
    """Thread id to (name, CPU ticks used so far)."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as stat:
                text = stat.read()
        except OSError:
            continue  # the thread ended meanwhile
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        threads[tid] = (name, int(fields[11]) + int(fields[12]))  # utime + stime
    return threads


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    pid, interval = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    before = cpu_by_thread(pid)
    while True:
        time.sleep(interval)
        try:
            now = cpu_by_thread(pid)
        except FileNotFoundError:
            return  # the process exited
        shares = sorted(((used - before.get(tid, (name, used))[1]) / ticks_per_second / interval * 100, tid, name)
                        for tid, (name, used) in now.items())
        busy = [f"{name}/{tid} {share:.0f}%" for share, tid, name in reversed(shares) if share >= 5]
        print(time.strftime("%H:%M:%S"), "  ".join(busy), flush=True)
        before = now


if __name__ == "__main__":
    main()
