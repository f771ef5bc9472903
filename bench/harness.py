#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Nimbus vs QEMU on this machine's /dev/kvm with the tiny test guests.

Measures, medians of RUNS runs each, side by side in one run:
  - spawn -> first guest serial line (ms)
  - guest power-off (its last serial line) -> VMM process exit (ms)
  - VMM peak RSS with a 512 MiB guest (MiB, from wait4 rusage)
  - port-write and MMIO-read exit round trips (us), from guests doing
    100000 exits, minus the hello guest's run time, against the raw
    KVM_RUN loop of kvm_floor (the floor)
Prints a markdown table; writes it to the file given with --out.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

EXITS = 100000


def run_once(cmd, env):
    """Spawn cmd; return (first_line_s, last_line_to_exit_s, total_s, rss_kib)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, env=env)
    first = last = None
    for line in p.stdout:
        now = time.perf_counter()
        if first is None:
            first = now
        last = now
    _, status, ru = os.wait4(p.pid, 0)
    t_end = time.perf_counter()
    p.returncode = os.waitstatus_to_exitcode(status)
    if first is None:
        raise RuntimeError("no serial output from %s" % " ".join(cmd))
    return first - t0, t_end - last, t_end - t0, ru.ru_maxrss


def median(xs):
    return statistics.median(xs)


def measure(name, mk_cmd, guests, runs, env):
    res = {}
    hello = [run_once(mk_cmd(guests["hello"], "512M"), env) for _ in range(runs)]
    res["first_line_ms"] = median([h[0] for h in hello]) * 1e3
    res["exit_ms"] = median([h[1] for h in hello]) * 1e3
    res["rss_mib"] = median([h[3] for h in hello]) / 1024.0
    base = median([h[2] for h in hello])
    for kind in ("pio", "mmio"):
        t = [run_once(mk_cmd(guests[kind + "_loop"], "512M"), env)[2]
             for _ in range(runs)]
        res[kind + "_us"] = (median(t) - base) / EXITS * 1e6
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out")
    a = ap.parse_args()
    b = os.path.abspath(a.build)
    guests = {g: os.path.join(b, "guests", g + ".elf")
              for g in ("hello", "pio_loop", "mmio_loop")}
    env = dict(os.environ, NIMBUS_PLUGIN_PATH=os.path.join(b, "plugins"))

    def nimbus(kernel, mem):
        return [os.path.join(b, "nimbus"), "--kernel", kernel,
                "--memory", "size=" + mem, "--serial", "tty"]

    def qemu(kernel, mem):
        return ["qemu-system-x86_64", "-M", "microvm", "-accel", "kvm",
                "-m", mem, "-nodefaults", "-no-user-config", "-nographic",
                "-serial", "stdio", "-kernel", kernel,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]

    floor = {}
    for kind in ("pio", "mmio"):
        out = [float(subprocess.check_output(
            [os.path.join(b, "bench", "kvm_floor"), kind, str(EXITS)]))
            for _ in range(a.runs)]
        floor[kind + "_us"] = median(out) / 1e3

    n = measure("nimbus", nimbus, guests, a.runs, env)
    q = measure("qemu", qemu, guests, a.runs, env)

    rows = [
        ("spawn -> first serial line (ms)", "first_line_ms", "<= 0.25x QEMU"),
        ("guest power-off -> exit (ms)", "exit_ms", "<= QEMU"),
        ("peak RSS, 512 MiB guest (MiB)", "rss_mib", "<= 4 MiB"),
        ("port-write exit round trip (us)", "pio_us", "<= 1.03x floor"),
        ("MMIO-read exit round trip (us)", "mmio_us", "<= 1.03x floor"),
    ]
    lines = ["| figure | Nimbus | QEMU microvm | floor | Nimbus/QEMU | Nimbus/floor | target |",
             "|---|---|---|---|---|---|---|"]
    for label, key, target in rows:
        fl = floor.get(key)
        lines.append("| %s | %.2f | %.2f | %s | %.2f | %s | %s |" % (
            label, n[key], q[key], "%.2f" % fl if fl else "-",
            n[key] / q[key] if q[key] else float("nan"),
            "%.3f" % (n[key] / fl) if fl else "-", target))
    table = "\n".join(lines)
    print(table)
    if a.out:
        with open(a.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    sys.exit(main())
