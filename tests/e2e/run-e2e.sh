#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests: real Linux guests booted by the L2 VMM inside an
# emulated AMD host (see tests/e2e/README.md).  Host entry point for
# `make check`.
#
#   O=build L2_VMM=qemu|nimbus E2E_CASES="a b" E2E_STORAGE=0|1 \
#       tests/e2e/run-e2e.sh
#
# L2_VMM defaults to nimbus (E2E_DEFAULT_VMM in lib.sh); L2_VMM=qemu runs
# the same cases under Debian's qemu-system-x86_64 for comparison.
# E2E_CASES selects cases and groups (names from `cases.sh list all`,
# groups from `cases.sh groups`, or all; space or comma separated).  The
# default is groups up and smp, plus storage and every fragment group
# when E2E_STORAGE=1 (default E2E_STORAGE_DEFAULT in lib.sh).  E2E_TIMEOUT bounds one L1 run (default
# 180 s, 300 s for the storage L1), L2_TIMEOUT one L2 VMM run inside it
# (default 45 s).
# Storage cases first build the Debian rootfs and the disk set
# (build-rootfs.sh: debootstrap needs root the first time) and run in
# their own 2-vCPU L1, which gets the disk set as a virtio disk.
# Prints PASS:/FAIL:/SKIP: e2e/<case> lines and a closing
# "e2e: N passed, N failed, N skipped" line; exits non-zero on failures.
set -eu
. "$(dirname "$0")/lib.sh"

vmm=${L2_VMM:-$E2E_DEFAULT_VMM}
export L2_VMM="$vmm"
storage=${E2E_STORAGE:-$E2E_STORAGE_DEFAULT}
t0=$(date +%s)

if [ -x "$E2E_REPO/tests/deps.sh" ]; then
	"$E2E_REPO/tests/deps.sh" check >&2 || e2e_die "tests/deps.sh check failed"
fi
"$E2E_SRC/fetch-kernel.sh" >/dev/null
"$E2E_SRC/build-guest-initramfs.sh" >/dev/null
"$E2E_SRC/build-l1.sh" "$vmm" >/dev/null

# --- plan: which cases go to which L1 ------------------------------------
# Groups up and smp need no disks; storage, bench and every fragment group
# (tests/e2e/cases-*.sh) get the storage disk set, each group in its own
# L1.  bench runs only when named.
groups=$(sh "$E2E_SRC/cases.sh" groups)
disk_groups=$(echo "$groups" | grep -vx 'up\|smp\|bench' | tr '\n' ' ')
default="up smp"
[ "$storage" = 1 ] && default="$default $disk_groups"
want=""
for c in $(echo "${E2E_CASES:-$default}" | tr , ' '); do
	if [ "$c" = all ]; then
		for g in up smp $disk_groups; do
			want="$want $(sh "$E2E_SRC/cases.sh" list "$g")"
		done
	elif echo "$groups" | grep -qx "$c"; then
		want="$want $(sh "$E2E_SRC/cases.sh" list "$c")"
	else
		want="$want $c"
	fi
done
out=$E2E_DIR/logs/run-e2e-$vmm.txt
mkdir -p "$E2E_DIR/logs"
: >"$out"
# case_group NAME: the group of a case, empty when there is none.
case_group()
{
	for g in $groups; do
		if sh "$E2E_SRC/cases.sh" list "$g" | grep -qx "$1"; then
			echo "$g"
			return 0
		fi
	done
}
plan=""
seen=" "
for c in $want; do
	case $seen in
	*" $c "*) continue ;;
	esac
	seen="$seen$c "
	g=$(case_group "$c")
	if [ -z "$g" ]; then
		echo "FAIL: e2e/$c: no such case" | tee -a "$out"
		continue
	fi
	# bench cases share the storage L1.
	[ "$g" = bench ] && g=storage
	plan="$plan$g $c
"
done
# cases_of GROUP: the planned cases of GROUP, in order.
cases_of() { echo "$plan" | awk -v g="$1" '$1 == g { printf " %s", $2 }'; }

# run_l1 SMP NAME CASES [DISK [TIMEOUT]]: one L1 boot (with the storage
# disk set DISK); a run whose L1 timed out or died without a verdict is
# retried, at most twice (nested guests can freeze or crash L1, see
# shared/reference/x86-e2e.md; L1's own kernel, on QEMU's TCG SVM, dies
# now and then with "stack guard page was hit" in its page-fault path
# while a VMM runs a guest: 2 of 12 L1 runs in one clean-clone run).
run_l1()
{
	tmp=$E2E_DIR/logs/$2.out
	for attempt in 1 2 3; do
		rc=0
		if [ -n "${4:-}" ]; then
			E2E_L1_DISK=$4 \
				"$E2E_SRC/run-l1.sh" -s "$1" -n "$2" -c "$3" \
				${5:+-t "$5"} >"$tmp" 2>&1 || rc=$?
		else
			"$E2E_SRC/run-l1.sh" -s "$1" -n "$2" -c "$3" >"$tmp" 2>&1 ||
				rc=$?
		fi
		# 2: L1 timed out; 3: L1 died without a verdict.  Both are
		# failures of the emulated host, not test results: retry (up to
		# twice) and say so.  A case that reported FAIL is never retried.
		if { [ "$rc" != 2 ] && [ "$rc" != 3 ]; } || [ "$attempt" = 3 ]
		then
			break
		fi
		echo "# e2e/$2: L1 $([ "$rc" = 2 ] && echo timed out || echo died without a verdict), retrying (log kept as $tmp.attempt$attempt)" | tee -a "$out"
		cp "$tmp" "$tmp.attempt$attempt"
		cp "$E2E_DIR/logs/$2.log" "$E2E_DIR/logs/$2.log.attempt$attempt" \
			2>/dev/null || true
	done
	tee -a "$out" <"$tmp"
}

up=$(cases_of up)
smp=$(cases_of smp)
[ -n "$up" ] && run_l1 2 "e2e-$vmm-up" "$up"
[ -n "$smp" ] && run_l1 1 "e2e-$vmm-smp" "$smp"
dg=""
for g in storage $disk_groups; do
	case " $dg " in
	*" $g "*) continue ;;
	esac
	[ -n "$(cases_of "$g")" ] && dg="$dg $g"
done
if [ -n "$dg" ]; then
	ts=$(date +%s)
	if "$E2E_SRC/build-rootfs.sh" >"$E2E_DIR/logs/build-rootfs.out" 2>&1; then
		# shellcheck disable=SC1091 # written by build-rootfs.sh
		. "$E2E_DIR/storage.env"
		echo "# e2e: rootfs and disk set ready in $(($(date +%s) - ts))s"
		for g in $dg; do
			gc=$(cases_of "$g")
			n=$(echo "$gc" | wc -w)
			# 300 s for the storage set; more for long groups,
			# and room for the net groups' one retry of a guest
			# run that timed out (cases-net.sh, net_boot).
			t=$((n > 10 ? 300 + 30 * (n - 10) : 300))
			case $g in
			net*) t=$((t + 200)) ;;
			esac
			run_l1 2 "e2e-$vmm-$g" "$gc" "$E2E_IMAGES_IMG" \
				"${E2E_TIMEOUT:-$t}"
		done
	else
		tail -n 5 "$E2E_DIR/logs/build-rootfs.out" | sed 's/^/# /'
		for g in $dg; do
			for c in $(cases_of "$g"); do
				echo "FAIL: e2e/$c: build-rootfs.sh failed" |
					tee -a "$out"
			done
		done
	fi
fi

npass=$(grep -c '^PASS: ' "$out" || true)
nfail=$(grep -c '^FAIL: ' "$out" || true)
nskip=$(grep -c '^SKIP: ' "$out" || true)
echo "# e2e: L2 VMM $vmm, $(($(date +%s) - t0))s wall"
echo "e2e: $npass passed, $nfail failed, $nskip skipped"
[ "$nfail" = 0 ]
