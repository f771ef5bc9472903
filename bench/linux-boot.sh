#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Linux boot time, Nimbus vs QEMU, in the emulated host of tests/e2e: the
# same Debian cloud kernel and busybox initramfs, 1 vCPU, 256 MiB, booted
# N times (default 5) per VMM as the L2 VMM inside one L1 each; reports
# the median time from VMM start to the guest's /init marker.  Absolute
# times under TCG are only meaningful relative to each other.
set -eu
O=${O:-build}
N=${N:-5}
cases=$(yes boot-bzimage | head -n "$N" | tr '\n' ' ')
for vmm in nimbus qemu; do
	O=$O L2_VMM=$vmm E2E_CASES="$cases" E2E_TIMEOUT=$((60 + N * 30)) \
		tests/e2e/run-e2e.sh >"$O/bench/linux-boot-$vmm.txt" 2>&1 || true
	t=$(sed -n 's/.*boot-to-userspace=\([0-9.]*\)s.*/\1/p' \
		"$O/bench/linux-boot-$vmm.txt" | sort -n)
	n=$(echo "$t" | grep -c . || true)
	med=$(echo "$t" | awk -v n="$n" 'NR == int((n + 1) / 2) { print }')
	echo "$vmm ${med:-none} $n"
done | awk '
	{ m[$1] = $2; c[$1] = $3 }
	END {
		print "| figure | Nimbus | QEMU microvm | ratio |"
		print "|---|---|---|---|"
		r = (m["qemu"] > 0) ? sprintf("%.2f x QEMU", m["nimbus"] / m["qemu"]) : "-"
		printf "| Linux boot to /init in the emulated host (s, median of %d/%d) | %s | %s | %s |\n", c["nimbus"], c["qemu"], m["nimbus"], m["qemu"], r
	}' | tee "$O/bench/linux-boot.md"
