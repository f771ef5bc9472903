#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# virtio-net throughput and latency, Nimbus vs QEMU, in the emulated host
# of tests/e2e (case net-bench in tests/e2e/cases-net.sh): the guest runs
# iperf3 against the TAP's host side for 8 s guest->host and 8 s
# host->guest (-R), TCP, one stream, Mbit/s at the receiver; then 2000
# 1-byte TCP request/responses (TCP_NODELAY, nettest rr-client), median
# round trip in microseconds.  Both VMMs: one queue pair, offloads on,
# TAP in a network namespace, no vhost (QEMU: -netdev tap,vhost=off with
# virtio-net-pci on microvm).  N rounds (default 3), each boots one L1
# per VMM, alternating; medians, and the median of the per-round
# Nimbus/QEMU ratios.  Absolute figures under TCG mean little; the ratios
# are the result.  Writes $O/bench/net.md.
set -eu
O=${O:-build}
N=${N:-3}
mkdir -p "$O/bench"
raw=$O/bench/net.raw
: >"$raw"
i=0
while [ $i -lt "$N" ]; do
	for vmm in nimbus qemu; do
		out=$O/bench/net-$vmm-$i.txt
		O=$O L2_VMM=$vmm E2E_CASES=net-bench tests/e2e/run-e2e.sh \
			>"$out" 2>&1 || true
		sed -n 's/.*net-bench:\{0,1\} g2h_mbps=\([0-9.]*\) h2g_mbps=\([0-9.]*\) rr_us=\([0-9]*\).*/\1 \2 \3/p' \
			"$out" | head -n 1 | while read -r g2h h2g rr; do
			{
				echo "$i $vmm g2h $g2h"
				echo "$i $vmm h2g $h2g"
				echo "$i $vmm rr $rr"
			} >>"$raw"
		done
	done
	i=$((i + 1))
done
awk '
	{ v[$2, $3, $1] = $4 }
	function median(a, n,   i, j, x) {
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		print "| figure | Nimbus | QEMU | Nimbus/QEMU | target | met |"
		print "|---|---|---|---|---|---|"
		split("g2h h2g rr", order, " ")
		unit["g2h"] = "TCP guest -> host (Mbit/s)"
		unit["h2g"] = "TCP host -> guest (Mbit/s)"
		unit["rr"] = "1-byte request/response round trip (us)"
		for (o = 1; o <= 3; o++) {
			j = order[o]
			n = 0; m = 0
			for (k = 0; k < '"$N"'; k++) {
				if (!(("nimbus", j, k) in v) || !(("qemu", j, k) in v) ||
				    v["qemu", j, k] <= 0)
					continue
				n++
				a[n] = v["nimbus", j, k]; b[n] = v["qemu", j, k]
				r[n] = v["nimbus", j, k] / v["qemu", j, k]
			}
			if (!n) {
				printf "| %s | - | - | - | | no complete round |\n", unit[j]
				continue
			}
			x = median(a, n); y = median(b, n); q = median(r, n)
			if (j == "rr") { t = "<= 0.8x"; met = q <= 0.8 ? "yes" : "no" }
			else { t = ">= 1.2x"; met = q >= 1.2 ? "yes" : "no" }
			printf "| %s, median of %d | %.1f | %.1f | %.2f | %s | %s |\n", unit[j], n, x, y, q, t, met
		}
	}' "$raw" | tee "$O/bench/net.md"
