#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests: real Linux guests booted by the L2 VMM inside an
# emulated AMD host (see tests/e2e/README.md).  Host entry point for
# `make check`.
#
#   O=build L2_VMM=qemu|nimbus E2E_CASES="a b" tests/e2e/run-e2e.sh
#
# L2_VMM defaults to nimbus (E2E_DEFAULT_VMM in lib.sh); L2_VMM=qemu runs
# the same cases under Debian's qemu-system-x86_64 for comparison.  E2E_CASES selects cases
# (names from `cases.sh list`, space or comma separated).  E2E_TIMEOUT bounds one L1 run (default 180
# s), L2_TIMEOUT one L2 VMM run inside it (default 45 s).
# Prints PASS:/FAIL:/SKIP: e2e/<case> lines and a closing
# "e2e: N passed, N failed, N skipped" line; exits non-zero on failures.
set -eu
. "$(dirname "$0")/lib.sh"

vmm=${L2_VMM:-$E2E_DEFAULT_VMM}
export L2_VMM="$vmm"
t0=$(date +%s)

if [ -x "$E2E_REPO/tests/deps.sh" ]; then
	"$E2E_REPO/tests/deps.sh" check >&2 || e2e_die "tests/deps.sh check failed"
fi
"$E2E_SRC/fetch-kernel.sh" >/dev/null
"$E2E_SRC/build-guest-initramfs.sh" >/dev/null
"$E2E_SRC/build-l1.sh" "$vmm" >/dev/null

# --- plan: which cases go to which L1 ------------------------------------
all_up=$(sh "$E2E_SRC/cases.sh" list up)
all_smp=$(sh "$E2E_SRC/cases.sh" list smp)
want=$(echo "${E2E_CASES:-$all_up $all_smp}" | tr , ' ')
up=""
smp=""
out=$E2E_DIR/logs/run-e2e-$vmm.txt
mkdir -p "$E2E_DIR/logs"
: >"$out"
for c in $want; do
	if echo "$all_up" | grep -qx "$c"; then
		up="$up $c"
	elif echo "$all_smp" | grep -qx "$c"; then
		smp="$smp $c"
	else
		echo "FAIL: e2e/$c: no such case" | tee -a "$out"
	fi
done

# run_l1 SMP NAME CASES: one L1 boot; a run that timed out is retried once
# (SMP guests can freeze L1, see shared/reference/x86-e2e.md).
run_l1()
{
	tmp=$E2E_DIR/logs/$2.out
	for attempt in 1 2; do
		rc=0
		"$E2E_SRC/run-l1.sh" -s "$1" -n "$2" -c "$3" >"$tmp" 2>&1 || rc=$?
		if [ "$rc" != 2 ] || [ "$attempt" = 2 ]; then
			break
		fi
		echo "# e2e/$2: L1 timed out, retrying once" | tee -a "$out"
	done
	tee -a "$out" <"$tmp"
}

[ -n "$up" ] && run_l1 2 "e2e-$vmm-up" "$up"
[ -n "$smp" ] && run_l1 1 "e2e-$vmm-smp" "$smp"

npass=$(grep -c '^PASS: ' "$out" || true)
nfail=$(grep -c '^FAIL: ' "$out" || true)
nskip=$(grep -c '^SKIP: ' "$out" || true)
echo "# e2e: L2 VMM $vmm, $(($(date +%s) - t0))s wall"
echo "e2e: $npass passed, $nfail failed, $nskip skipped"
[ "$nfail" = 0 ]
