#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The AArch64 end-to-end stage: boot an emulated arm64 host (QEMU TCG,
# EL2, GICv3, nested KVM) whose init runs tests/e2e-arm64/cases.sh, where
# nimbus boots the arm64 guest.  Entry point for tests/run-tests.sh.
#
#   O=build tests/e2e-arm64/run.sh
#
# Prints "PASS: e2e-arm64/<case>", "FAIL: e2e-arm64/<case>: reason" or
# "SKIP: e2e-arm64/<case>: reason" per case, "# e2e-arm64..." notes with
# the timings, and exits non-zero on any failure.
# Environment: O, E2E_CASES (subset, blanks or commas), E2E_TIMEOUT (the
# L1 run, s; default 900), L2_TIMEOUT (one guest boot in L1, s; default
# 120), NIMBUS_ARM64_BUILD (an existing arm64 build dir; default: build
# into $O/arm64), A64_L1_CPU (default max,pauth-impdef=on).
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
mkdir -p "$A64_DIR"
if [ -x "$A64_SRC/deps.sh" ]; then
	"$A64_SRC/deps.sh" >&2 || {
		echo "SKIP: e2e-arm64: packages missing (tests/e2e-arm64/deps.sh)"
		exit 0
	}
fi
e2e_need_cmd qemu-system-aarch64 timeout
if ! env_file=$("$A64_SRC/build.sh" 2>"$A64_DIR/build.err"); then
	sed 's/^/# /' "$A64_DIR/build.err"
	echo "FAIL: e2e-arm64/build: cannot build the arm64 images"
	exit 1
fi
. "$env_file"
t_build=$(($(date +%s) - t0))

# The unit tests of the same arm64 build under qemu-aarch64-static (one
# PASS:/FAIL: unit-arm64/<test> line per binary; A64_UNIT=0 leaves them
# out).
t_unit=0
if [ "${A64_UNIT:-1}" != 0 ]; then
	t2=$(date +%s)
	ulog=$A64_DIR/unit.log
	urc=0
	make -C "$E2E_REPO" --no-print-directory -j2 ARCH=aarch64 \
		CROSS_COMPILE=aarch64-linux-gnu- \
		O="${NIMBUS_ARM64_BUILD:-$O/arm64}" check-cross >"$ulog" 2>&1 ||
		urc=$?
	grep -E '^(PASS|FAIL|SKIP): unit-arm64/|^unit-arm64: |^# unit-arm64' \
		"$ulog" || true
	if [ "$urc" != 0 ] && ! grep -q '^FAIL: ' "$ulog"; then
		tail -n 20 "$ulog" | sed 's/^/# /'
		echo "FAIL: unit-arm64/check-cross: exit status $urc (log $ulog)"
	fi
	t_unit=$(($(date +%s) - t2))
fi

cases=$(echo "${E2E_CASES:-$(sh "$A64_SRC/cases.sh" list)}" | tr , ' ')
cases=$(echo $cases)
logdir=$A64_DIR/logs
mkdir -p "$logdir"
log=$logdir/l1.log
append="console=ttyAMA0 panic=-1 rdinit=/init loglevel=4"
append="$append nimbus.cases=$(echo "$cases" | tr ' ' ,)"
[ -n "${L2_TIMEOUT:-}" ] && append="$append nimbus.l2timeout=$L2_TIMEOUT"
timeout_s=${E2E_TIMEOUT:-900}

# The measured recipe (shared/reference/aarch64-ci.md): EL2 and GICv3 for
# KVM's vGICv3, IMPDEF pointer auth (QARMA is three times slower).
t1=$(date +%s)
rc=0
timeout -k 5 "$timeout_s" qemu-system-aarch64 \
	-M virt,virtualization=on,gic-version=3 \
	-cpu "${A64_L1_CPU:-max,pauth-impdef=on}" -smp 2 -m 2048 \
	-nographic -no-reboot -kernel "$L1_KERNEL" -initrd "$L1_INITRD" \
	-append "$append" </dev/null >"$log" 2>&1 || rc=$?
t_l1=$(($(date +%s) - t1))

case $rc in
124 | 137) l1_status="L1 timed out after ${timeout_s}s" ;;
0) l1_status="L1 powered off" ;;
*) l1_status="qemu-system-aarch64 exit status $rc" ;;
esac
markers=$(tr -d '\r' <"$log" | sed -n 's/^.*NIMBUS-E2E: //p')
nfail=0
# L1 setup failures (l1-kvm).
for l in $(echo "$markers" | awk '$1 == "FAIL" && $2 ~ /^l1-/ { print $2 }'); do
	echo "FAIL: e2e-arm64/$l: $(echo "$markers" | awk -v c="$l" '$1 == "FAIL" && $2 == c { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }')"
	nfail=$((nfail + 1))
done
for c in $cases; do
	echo "$markers" | awk -v c="$c" '$1 == "INFO" && $2 == c {
		$1 = ""; $2 = ""; sub(/^ +/, ""); print "# e2e-arm64/" c ": " $0 }'
	r=$(echo "$markers" | awk -v c="$c" '($1 == "PASS" || $1 == "FAIL" ||
		$1 == "SKIP") && $2 == c { print; exit }')
	# shellcheck disable=SC2086 # split the marker into words
	set -- $r
	case ${1:-} in
	PASS) echo "PASS: e2e-arm64/$c" ;;
	SKIP) shift 2; echo "SKIP: e2e-arm64/$c: $*" ;;
	FAIL)
		shift 2
		echo "FAIL: e2e-arm64/$c: $*"
		nfail=$((nfail + 1))
		tr -d '\r' <"$log" | awk -v c="$c" '
			index($0, "NIMBUS-E2E: FAIL " c " ") { on = 1; next }
			on && /^  l2\| / { print "#" substr($0, 2); next }
			{ on = 0 }'
		;;
	*)
		echo "FAIL: e2e-arm64/$c: no result ($l1_status)"
		nfail=$((nfail + 1))
		;;
	esac
done
up=$(echo "$markers" | sed -n 's/^L1 USERSPACE uptime=//p')
kvm=$(echo "$markers" | sed -n 's/^KVM ready uptime=\([^ ]*\).*/\1/p')
echo "# e2e-arm64: stage $(($(date +%s) - t0))s wall: build ${t_build}s, unit tests ${t_unit}s, L1 run ${t_l1}s (L1 userspace at ${up:-?}s, KVM ready at ${kvm:-?}s); $l1_status; log $log"
[ "$nfail" = 0 ]
