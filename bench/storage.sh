#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# virtio-blk throughput, Nimbus vs QEMU, in the emulated host of
# tests/e2e: fio inside the guest on the same raw scratch image (direct=1,
# libaio): 4k random read at queue depth 32 (IOPS), 128k sequential read
# and write (MB/s).  QEMU uses virtio-blk-pci without vhost; Nimbus runs
# twice in the same L1 boot, with its io_uring engine (the default) and
# with io_engine=sync, which is how the engine was chosen.  N rounds
# (default 3), each boots one L1 per VMM, alternating; medians, and the
# median of the per-round Nimbus/QEMU ratios.  Absolute figures under TCG
# mean little; the ratios are the result.
set -eu
O=${O:-build}
N=${N:-3}
mkdir -p "$O/bench"
raw=$O/bench/storage.raw
: >"$raw"
i=0
while [ $i -lt "$N" ]; do
	for vmm in nimbus qemu; do
		out=$O/bench/storage-$vmm-$i.txt
		cases=fio-bench
		# Nimbus's two engines share the L1 boot: io_uring, then sync.
		[ $vmm = nimbus ] && cases="fio-bench fio-bench-sync"
		O=$O L2_VMM=$vmm E2E_CASES="$cases" tests/e2e/run-e2e.sh \
			>"$out" 2>&1 || true
		sed -n 's/.*\(fio-bench[a-z-]*\): \(randread4k\|seqread128k\|seqwrite128k\) rbw=\([0-9]*\) riops=\([0-9]*\) wbw=\([0-9]*\) wiops=\([0-9]*\).*/\1 \2 \3 \4 \5 \6/p' \
			"$out" | while read -r case job rbw riops wbw wiops; do
			case $job in
			randread4k) v=$riops ;;
			seqread128k) v=$(awk -v k="$rbw" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }') ;;
			seqwrite128k) v=$(awk -v k="$wbw" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }') ;;
			esac
			who=$vmm
			[ "$case" = fio-bench-sync ] && who=nimbus-sync
			echo "$i $who $job $v" >>"$raw"
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
	# med(WHO, JOB): median of WHO over the rounds where QEMU also ran,
	# and in rat the median of the per-round WHO/QEMU ratios.
	function med(who, j,   k, n, a, r) {
		n = 0
		for (k = 0; k < '"$N"'; k++)
			if (((who, j, k) in v) && (("qemu", j, k) in v) && v["qemu", j, k] > 0) {
				n++; a[n] = v[who, j, k]; r[n] = v[who, j, k] / v["qemu", j, k]
			}
		cnt = n
		if (!n) { rat = 0; return -1 }
		rat = median(r, n)
		return median(a, n)
	}
	END {
		print "| figure | Nimbus io_uring | Nimbus sync | QEMU | io_uring/QEMU | sync/QEMU | target |"
		print "|---|---|---|---|---|---|---|"
		split("randread4k seqread128k seqwrite128k", order, " ")
		unit["randread4k"] = "4k random read QD32 (IOPS)"
		unit["seqread128k"] = "128k sequential read (MB/s)"
		unit["seqwrite128k"] = "128k sequential write (MB/s)"
		for (o = 1; o <= 3; o++) {
			j = order[o]
			q = -1; n = 0
			for (k = 0; k < '"$N"'; k++)
				if (("qemu", j, k) in v) { n++; b[n] = v["qemu", j, k] }
			if (n) q = median(b, n)
			u = med("nimbus", j); ru = rat; nu = cnt
			s = med("nimbus-sync", j); rs = rat
			if (u < 0 || q < 0) { printf "| %s | - | - | - | no complete round | | >= 1.2x |\n", unit[j]; continue }
			printf "| %s, median of %d | %.1f | %s | %.1f | %.2f | %s | >= 1.2x |\n", unit[j], nu, u, s < 0 ? "-" : sprintf("%.1f", s), q, ru, s < 0 ? "-" : sprintf("%.2f", rs)
		}
	}' "$raw" | tee "$O/bench/storage.md"
