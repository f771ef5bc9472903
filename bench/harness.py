#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Nimbus vs QEMU microvm vs a raw KVM_RUN loop, with the tiny test guests.

Each of RUNS rounds runs every variant once, interleaved, so that drift in
this machine's (software) KVM hits all of them alike; figures are medians
over the rounds, ratios are medians of the per-round ratios.

  - spawn -> first guest serial line (ms), hello guest
  - guest power-off (its last serial line) -> VMM process exit (ms)
  - peak RSS with a 512 MiB guest (MiB), sampled from /proc/PID/smaps
    while the pio_loop guest runs (wait4's ru_maxrss would include the
    forked Python parent's pages from before exec): all mappings, and the
    VMM overhead, i.e. all but guest RAM, as Cloud Hypervisor's memory
    gate counts it (guest RAM is whatever the guest touched, in huge
    pages when the host gives them)
  - port-write and MMIO-read exit round trips (us): (time of a guest doing
    EXITS exits - time of the hello guest) / EXITS, against kvm_floor,
    the same guest loop in a minimal KVM_RUN loop on an identically
    configured VM
"""
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

EXITS = 100000


GUEST_RAM_MIN = 256 << 20  # mappings this large are guest RAM


def read_rss_kib(pid):
    """(total RSS, RSS outside guest RAM) in KiB from /proc/PID/smaps."""
    total = other = 0
    size = 0
    try:
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                if "-" in line.split(" ", 1)[0] and not line[0].isupper():
                    a, b = line.split(" ", 1)[0].split("-")
                    size = int(b, 16) - int(a, 16)
                elif line.startswith("Rss:"):
                    kib = int(line.split()[1])
                    total += kib
                    if size < GUEST_RAM_MIN:
                        other += kib
    except (OSError, ValueError):
        return None
    return total, other


def run_once(cmd, env, sample_rss=False):
    """Spawn cmd; returns dict with first, exit (s), total (s), hwm (KiB)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         stdin=subprocess.DEVNULL, env=env)
    hwm = [0, 0]
    done = threading.Event()

    def sampler():
        while not done.is_set():
            v = read_rss_kib(p.pid)
            if v:
                hwm[0] = max(hwm[0], v[0])
                hwm[1] = max(hwm[1], v[1])
            time.sleep(0.005)

    th = None
    if sample_rss:
        th = threading.Thread(target=sampler)
        th.start()
    first = last = None
    lines = []
    for line in p.stdout:
        now = time.perf_counter()
        lines.append(line)
        if first is None:
            first = now
        last = now
    p.wait()
    t_end = time.perf_counter()
    done.set()
    if th:
        th.join()
    if first is None or not any(b"PASS" in l for l in lines):
        raise RuntimeError("guest did not pass under: " + " ".join(cmd))
    return {"first": first - t0, "exit": t_end - last, "total": t_end - t0,
            "hwm": hwm[0], "overhead": hwm[1]}


def floor_us(b, kind):
    out = subprocess.check_output(
        [os.path.join(b, "bench", "kvm_floor"), kind, str(EXITS)])
    return float(out) / 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out")
    a = ap.parse_args()
    b = os.path.abspath(a.build)
    g = {n: os.path.join(b, "guests", n + ".elf")
         for n in ("hello", "pio_loop", "mmio_loop")}
    env = dict(os.environ, NIMBUS_PLUGIN_PATH=os.path.join(b, "plugins"))

    vmms = {
        "nimbus": lambda k: [os.path.join(b, "nimbus"), "--kernel", k,
                             "--memory", "size=512M", "--serial", "tty"],
        "qemu": lambda k: ["qemu-system-x86_64", "-M", "microvm",
                           "-accel", "kvm", "-m", "512M", "-nodefaults",
                           "-no-user-config", "-nographic", "-serial", "stdio",
                           "-kernel", k, "-device",
                           "isa-debug-exit,iobase=0xf4,iosize=4"],
    }
    r = {v: {k: [] for k in ("first", "exit", "hwm", "overhead", "pio",
                             "mmio")}
         for v in vmms}
    r["floor"] = {"pio": [], "mmio": []}
    ratio = {k: [] for k in ("first", "exit", "pio_floor", "mmio_floor")}

    for _ in range(a.runs):
        rnd = {}
        for v, mk in vmms.items():
            h = run_once(mk(g["hello"]), env)
            rnd[v] = {"first": h["first"] * 1e3, "exit": h["exit"] * 1e3}
            for kind in ("pio", "mmio"):
                lp = run_once(mk(g[kind + "_loop"]), env,
                              sample_rss=(kind == "pio"))
                if kind == "pio":
                    rnd[v]["hwm"] = lp["hwm"] / 1024.0
                    rnd[v]["overhead"] = lp["overhead"] / 1024.0
                rnd[v][kind] = (lp["total"] - h["total"]) / EXITS * 1e6
        rnd["floor"] = {k: floor_us(b, k) for k in ("pio", "mmio")}
        for v in r:
            for k in r[v]:
                r[v][k].append(rnd[v][k])
        ratio["first"].append(rnd["nimbus"]["first"] / rnd["qemu"]["first"])
        ratio["exit"].append(rnd["nimbus"]["exit"] / rnd["qemu"]["exit"])
        for k in ("pio", "mmio"):
            ratio[k + "_floor"].append(rnd["nimbus"][k] / rnd["floor"][k])

    med = statistics.median
    rows = [
        ("spawn -> first serial line (ms)", "first", "first",
         "<= 0.25x QEMU"),
        ("guest power-off -> exit (ms)", "exit", "exit", "<= 1x QEMU"),
        ("peak RSS, 512 MiB guest, all mappings (MiB)", "hwm", None, "-"),
        ("peak VMM overhead RSS: all but guest RAM (MiB)", "overhead", None,
         "<= 4 MiB"),
        ("port-write exit round trip (us)", "pio", "pio_floor",
         "<= 1.03x floor"),
        ("MMIO-read exit round trip (us)", "mmio", "mmio_floor",
         "<= 1.03x floor"),
    ]
    lines = ["| figure | Nimbus | QEMU microvm | floor | ratio | target |",
             "|---|---|---|---|---|---|"]
    for label, key, rkey, target in rows:
        fl = r["floor"].get(key)
        if rkey and rkey.endswith("_floor"):
            rat = "%.3f x floor" % med(ratio[rkey])
        elif rkey:
            rat = "%.2f x QEMU" % med(ratio[rkey])
        else:
            rat = "%.2f x QEMU" % (med(r["nimbus"][key]) / med(r["qemu"][key]))
        lines.append("| %s | %.2f | %.2f | %s | %s | %s |" % (
            label, med(r["nimbus"][key]), med(r["qemu"][key]),
            "%.2f" % med(fl) if fl else "-", rat, target))
    table = "\n".join(lines)
    print("medians of %d interleaved rounds" % a.runs)
    print(table)
    if a.out:
        with open(a.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    sys.exit(main())
