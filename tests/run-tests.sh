#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs every Nimbus test, fastest first: cmocka unit tests, fuzz targets
# for a short time, tests against the real /dev/kvm (plugin test, tiny
# guests), the unit tests and tiny guests again built with ASan+UBSan
# (stage "sanitize": a second build in $O/asan), then the end-to-end Linux
# boots in the emulated hosts.  Prints one PASS/FAIL/SKIP line per test and
# ends with "N passed, N failed, N skipped"; exits non-zero on any failure.
# With CI=true a SKIP counts as a failure: CI machines can run everything.
#
# Environment: O (build dir, default build), TESTS (space-separated subset
# of: unit fuzz kvm sanitize e2e e2e-arm64; default all), E2E=0 to leave out the
# end-to-end boots (both arches).
set -u
O=${O:-build}
TESTS=${TESTS:-unit fuzz kvm sanitize e2e e2e-arm64}
[ "${E2E:-1}" = 0 ] && TESTS=${TESTS//e2e-arm64/} && TESTS=${TESTS//e2e/}
export NIMBUS_PLUGIN_PATH="$(realpath "$O/plugins")"
LOGDIR="$O/test-logs"
mkdir -p "$LOGDIR"

pass=0 fail=0 skip=0
failed=()

record() { # status name [reason]
	case "$1" in
	PASS) pass=$((pass + 1)); echo "PASS: $2" ;;
	FAIL) fail=$((fail + 1)); failed+=("$2"); echo "FAIL: $2${3:+: $3}" ;;
	SKIP)
		if [ "${CI:-}" = true ]; then
			fail=$((fail + 1)); failed+=("$2")
			echo "FAIL: $2: skipped in CI (${3:-no reason})"
		else
			skip=$((skip + 1)); echo "SKIP: $2${3:+: $3}"
		fi ;;
	esac
}

# Run one cmocka binary; count its cases from cmocka's own summary.
run_cmocka() { # suite binary [args]
	local suite=$1 bin=$2 log np nf ns line
	shift 2
	log="$LOGDIR/$suite.log"
	mkdir -p "$(dirname "$log")"
	timeout 300 "$bin" "$@" >"$log" 2>&1
	local rc=$?
	cat "$log"
	np=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$log" | tail -n1)
	nf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -n1)
	ns=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -n1)
	while read -r line; do
		[ -n "$line" ] && record SKIP "$suite/$line" "see $log"
	done < <(sed -n 's/^\[  SKIPPED \] \([a-zA-Z0-9_]*\)$/\1/p' "$log" | sort -u)
	pass=$((pass + ${np:-0}))
	fail=$((fail + ${nf:-0}))
	if [ -z "$np$nf" ] || { [ $rc -ne 0 ] && [ "${nf:-0}" = 0 ]; }; then
		record FAIL "$suite" "exit status $rc without a cmocka summary"
	elif [ "${nf:-0}" != 0 ]; then
		failed+=("$suite")
	fi
}

# Run a script that prints PASS:/FAIL:/SKIP: lines; a non-zero exit with
# no FAIL line of its own is a failure too.
run_lines() { # suite command...
	local suite=$1 rc=255 line l nfail=0
	shift
	# Stream the lines as they come; the last one carries the status.
	while IFS= read -r line; do
		case "$line" in
		__RC=*) rc=${line#__RC=} ;;
		PASS:*) record PASS "${line#PASS: }" ;;
		FAIL:*) l=${line#FAIL: }; nfail=$((nfail + 1))
			record FAIL "${l%%: *}" "${l#*: }" ;;
		SKIP:*) l=${line#SKIP: }; record SKIP "${l%%: *}" "${l#*: }" ;;
		*) echo "$line" ;;
		esac
	done < <("$@" 2>&1; echo "__RC=$?")
	[ $rc -ne 0 ] && [ $nfail -eq 0 ] && record FAIL "$suite" "exit status $rc"
}

# The loader tests also load the real Debian kernel that the end-to-end
# tests use; fetch it first (cached) when the end-to-end tests are on.
if [[ " $TESTS " == *" e2e "* ]] && [ -x tests/e2e/fetch-kernel.sh ]; then
	O=$O tests/e2e/fetch-kernel.sh >/dev/null ||
		record FAIL e2e/fetch-kernel "cannot fetch the guest kernel"
fi
if [ -f "$O/e2e/kernel.env" ]; then
	NIMBUS_TEST_BZIMAGE=$(sed -n 's/^KERNEL_BZIMAGE=//p' "$O/e2e/kernel.env")
	NIMBUS_TEST_VMLINUX=$(sed -n 's/^KERNEL_VMLINUX=//p' "$O/e2e/kernel.env")
	export NIMBUS_TEST_BZIMAGE NIMBUS_TEST_VMLINUX
fi

if [[ " $TESTS " == *" unit "* ]]; then
	echo "== unit tests"
	for t in "$O"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		run_cmocka "unit/$(basename "$t")" "$t"
	done
fi

# Every fuzz target for a short time (make fuzz; FUZZ_SECONDS, default 10).
if [[ " $TESTS " == *" fuzz "* ]]; then
	echo "== fuzzing (libFuzzer, ${FUZZ_SECONDS:-10} s per target)"
	run_lines fuzz make --no-print-directory fuzz O="$O" \
		FUZZ_SECONDS="${FUZZ_SECONDS:-10}"
fi

if [[ " $TESTS " == *" kvm "* ]]; then
	echo "== tests on /dev/kvm"
	for t in "$O"/tests/kvm/test_*; do
		[ -x "$t" ] || continue
		run_cmocka "kvm/$(basename "$t")" "$t"
	done
	if [ -x tests/kvm/run-guests.sh ]; then
		run_lines kvm/guests env O="$O" tests/kvm/run-guests.sh
	fi
	# The REST API, nimbus-remote and the event monitor, on tiny guests.
	if [ -x tests/kvm/run-api.sh ]; then
		run_lines kvm/api env O="$O" tests/kvm/run-api.sh
	fi
	# The same tiny guests through the MSHV plugin on the MSHV-on-KVM
	# simulator (tests/mshv-sim).
	if [ -x tests/kvm/run-mshv.sh ]; then
		run_lines kvm/mshv env O="$O" tests/kvm/run-mshv.sh
	fi
fi

# `make check SANITIZE=1` for the fast stages, inside every `make check`:
# the same unit tests and tiny guests built with ASan (LeakSanitizer on)
# and UBSan, seccomp on, reported as asan/<suite>/<test>.
if [[ " $TESTS " == *" sanitize "* ]] && [ "${SANITIZE:-0}" != 1 ]; then
	echo "== unit tests and tiny guests under ASan+UBSan (SANITIZE=1, $O/asan)"
	# shellcheck disable=SC2016 # expanded by the inner shell
	run_lines asan bash -c 'set -o pipefail
		make --no-print-directory -j2 SANITIZE=1 O="$1/asan" test-bins \
			>"$1/test-logs/asan-build.log" 2>&1 || {
			tail -n 20 "$1/test-logs/asan-build.log"
			echo "FAIL: asan/build: see $1/test-logs/asan-build.log"
			exit 1
		}
		SANITIZE=1 O="$1/asan" TESTS="unit kvm" ./tests/run-tests.sh 2>&1 |
			sed -e "s#^\(PASS\|FAIL\|SKIP\): #\1: asan/#" \
				-e "s/^\([0-9]* passed, .*\)/# asan: \1/" \
				-e "s/^failed: /# asan: failed: /"' _ "$O"
fi

if [[ " $TESTS " == *" e2e "* ]] && [ -x tests/e2e/run-e2e.sh ]; then
	echo "== end-to-end Linux boots (emulated host)"
	run_lines e2e env O="$O" L2_VMM="${L2_VMM:-nimbus}" tests/e2e/run-e2e.sh
fi

# AArch64: the cross build and the arm64 guests in an emulated arm64 host
# (tests/e2e-arm64; installs its packages when missing).
if [[ " $TESTS " == *" e2e-arm64 "* ]] && [ -x tests/e2e-arm64/run.sh ]; then
	echo "== AArch64 end-to-end (emulated arm64 host)"
	run_lines e2e-arm64 env O="$O" tests/e2e-arm64/run.sh
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed: ${failed[*]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
