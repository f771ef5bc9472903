#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# virtio-blk throughput, Nimbus vs QEMU, in the emulated host of
# tests/e2e: fio inside the guest on the same raw scratch image (direct=1,
# libaio): 4k random read at queue depth 32 (IOPS), 128k sequential read
# and write (MB/s).  QEMU uses virtio-blk-pci without vhost.  N rounds
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
		O=$O L2_VMM=$vmm E2E_CASES=fio-bench tests/e2e/run-e2e.sh \
			>"$out" 2>&1 || true
		sed -n 's/.*fio-bench: \(randread4k\|seqread128k\|seqwrite128k\) rbw=\([0-9]*\) riops=\([0-9]*\) wbw=\([0-9]*\) wiops=\([0-9]*\).*/\1 \2 \3 \4 \5/p' \
			"$out" | while read -r job rbw riops wbw wiops; do
			case $job in
			randread4k) v=$riops ;;
			seqread128k) v=$(awk -v k="$rbw" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }') ;;
			seqwrite128k) v=$(awk -v k="$wbw" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }') ;;
			esac
			echo "$i $vmm $job $v" >>"$raw"
		done
	done
	i=$((i + 1))
done
awk '
	{ v[$2, $3, $1] = $4; jobs[$3] = 1 }
	function median(a, n,   i, j, x) {
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		print "| figure | Nimbus | QEMU | Nimbus/QEMU | target |"
		print "|---|---|---|---|---|"
		split("randread4k seqread128k seqwrite128k", order, " ")
		unit["randread4k"] = "4k random read QD32 (IOPS)"
		unit["seqread128k"] = "128k sequential read (MB/s)"
		unit["seqwrite128k"] = "128k sequential write (MB/s)"
		for (o = 1; o <= 3; o++) {
			j = order[o]; n = 0
			for (k = 0; k < '"$N"'; k++)
				if ((("nimbus", j, k) in v) && (("qemu", j, k) in v) && v["qemu", j, k] > 0) {
					n++; a[n] = v["nimbus", j, k]; b[n] = v["qemu", j, k]
					r[n] = v["nimbus", j, k] / v["qemu", j, k]
				}
			if (!n) { printf "| %s | - | - | no complete round | >= 1.2x |\n", unit[j]; continue }
			printf "| %s, median of %d | %.1f | %.1f | %.2f | >= 1.2x |\n", unit[j], n, median(a, n), median(b, n), median(r, n)
		}
	}' "$raw" | tee "$O/bench/storage.md"
