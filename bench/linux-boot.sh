#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Linux boot time, Nimbus vs QEMU, in the emulated host of tests/e2e: the
# same Debian cloud kernel and busybox initramfs, 1 vCPU, 256 MiB.  N
# rounds (default 5); each round boots one L1 per VMM, alternating, and
# times VMM start to the guest's /init marker.  Reports medians and the
# median of the per-round ratios.  Absolute times under TCG are only
# meaningful relative to each other.
set -eu
O=${O:-build}
N=${N:-5}
mkdir -p "$O/bench"
: >"$O/bench/linux-boot.raw"
i=0
while [ $i -lt "$N" ]; do
	for vmm in nimbus qemu; do
		out=$O/bench/linux-boot-$vmm-$i.txt
		O=$O L2_VMM=$vmm E2E_CASES=boot-bzimage tests/e2e/run-e2e.sh \
			>"$out" 2>&1 || true
		t=$(sed -n 's/.*boot-to-userspace=\([0-9.]*\)s.*/\1/p' "$out" |
			head -n 1)
		echo "$i $vmm ${t:-none}" >>"$O/bench/linux-boot.raw"
	done
	i=$((i + 1))
done
awk '
	$3 != "none" { t[$2, $1] = $3 }
	function median(a, n,   i, j, x) {
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++)
				if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		for (k = 0; k < '"$N"'; k++) {
			if ((("nimbus", k) in t) && (("qemu", k) in t)) {
				n++
				a[n] = t["nimbus", k]; b[n] = t["qemu", k]
				r[n] = t["nimbus", k] / t["qemu", k]
			}
		}
		print "| figure | Nimbus | QEMU microvm | ratio |"
		print "|---|---|---|---|"
		if (!n) { print "| Linux boot to /init (emulated host) | - | - | no complete round |"; exit 1 }
		printf "| Linux boot to /init in the emulated host (s, median of %d rounds) | %.1f | %.1f | %.2f x QEMU |\n", n, median(a, n), median(b, n), median(r, n)
	}' "$O/bench/linux-boot.raw" | tee "$O/bench/linux-boot.md"
