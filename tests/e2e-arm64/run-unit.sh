#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run cross-built aarch64 cmocka unit tests under qemu-user (no
# binfmt_misc needed) and print the cmocka output of each, one
# "PASS:/FAIL: unit-arm64/<test>" line per binary and a closing
# "unit-arm64: N passed, N failed" line counting test cases.
#
#   tests/e2e-arm64/run-unit.sh BINARY...
#
# Environment: UNIT_TIMEOUT (s per binary, default 120), QEMU_AARCH64
# (default qemu-aarch64-static),
# QEMU_AARCH64_SYSROOT (default /usr/aarch64-linux-gnu: the cross libc;
# the multiarch libraries in /usr/lib/aarch64-linux-gnu are found through
# qemu's fallback to the real root), O (logs in $O/test-logs/unit-arm64;
# NIMBUS_PLUGIN_PATH defaults to $O/plugins).
set -u
qemu=${QEMU_AARCH64:-qemu-aarch64-static}
sysroot=${QEMU_AARCH64_SYSROOT:-/usr/aarch64-linux-gnu}
logdir=${O:-build}/test-logs/unit-arm64
command -v "$qemu" >/dev/null 2>&1 || {
	echo "FAIL: unit-arm64: $qemu not found (apt-get install qemu-user-static)"
	echo "unit-arm64: 0 passed, 1 failed"
	exit 1
}
mkdir -p "$logdir"
# The loader tests dlopen the arm64 test plugins of this build.
NIMBUS_PLUGIN_PATH=${NIMBUS_PLUGIN_PATH:-$(realpath "${O:-build}/plugins")}
export NIMBUS_PLUGIN_PATH
pass=0
fail=0
for t in "$@"; do
	n=$(basename "$t")
	log=$logdir/$n.log
	timeout -k 5 "${UNIT_TIMEOUT:-120}" "$qemu" -L "$sysroot" "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	np=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$log" | tail -n1)
	nf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$log" | tail -n1)
	pass=$((pass + ${np:-0}))
	fail=$((fail + ${nf:-0}))
	if [ -z "$np$nf" ] || { [ $rc -ne 0 ] && [ "${nf:-0}" = 0 ]; }; then
		echo "FAIL: unit-arm64/$n: exit status $rc without a cmocka summary"
		fail=$((fail + 1))
	elif [ "${nf:-0}" != 0 ]; then
		echo "FAIL: unit-arm64/$n: $nf case(s) failed"
	else
		echo "PASS: unit-arm64/$n"
	fi
done
echo "unit-arm64: $pass passed, $fail failed"
[ "$fail" = 0 ]
