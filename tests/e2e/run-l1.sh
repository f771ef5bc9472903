#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Boot the emulated host (L1: QEMU TCG, AMD SVM + NPT) on the initrd from
# build-l1.sh and turn its marker lines into results.
#
#   tests/e2e/run-l1.sh [-s SMP] [-t SECS] [-n NAME] [-c "CASES"]
#                       [-m cases|demo] [-i]
#
#   -s  L1 vCPUs (default 2; use 1 for SMP guest cases)
#   -t  host-side timeout in seconds (default $E2E_TIMEOUT, else 180;
#       0 = none, the default with -i)
#   -n  run name: the serial log is $O/e2e/logs/NAME.log
#   -c  cases to run (default: every case of cases.sh)
#   -m  cases (default) or demo
#   -i  L1's serial console on stdio (demo); when stdin is a terminal the
#       guest runs a shell, else its `info` test
# Environment: O, L2_VMM (qemu|nimbus, default E2E_DEFAULT_VMM in lib.sh),
# L2_TIMEOUT.
#
# Prints "PASS: e2e/<case>", "FAIL: e2e/<case>: reason" or
# "SKIP: e2e/<case>: reason" per case and "# e2e/<case>: ..." notes; exits
# 0 when every case passed or skipped, 2 when L1 timed out, 3 when L1
# died without a verdict (a crash of the emulated host, not a test
# result), else 1 (failures, missing results).
set -eu
. "$(dirname "$0")/lib.sh"

smp=2
timeout_s=""
name=""
cases=""
mode=cases
interactive=0
while getopts s:t:n:c:m:i opt; do
	case $opt in
	s) smp=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	n) name=$OPTARG ;;
	c) cases=$OPTARG ;;
	m) mode=$OPTARG ;;
	i) interactive=1 ;;
	*) e2e_die "usage: run-l1.sh [-s SMP] [-t SECS] [-n NAME] [-c CASES] [-m cases|demo] [-i]" ;;
	esac
done
vmm=${L2_VMM:-$E2E_DEFAULT_VMM}
tty=0
[ "$interactive" = 1 ] && [ -t 0 ] && tty=1
if [ -z "$timeout_s" ]; then
	timeout_s=${E2E_TIMEOUT:-180}
	[ "$tty" = 1 ] && timeout_s=0
fi
name=${name:-l1-$vmm-smp$smp}

e2e_need_cmd qemu-system-x86_64 timeout
e2e_load_kernel_env
initrd=$E2E_DIR/l1/l1-$vmm.cpio
[ -f "$initrd" ] || e2e_die "$initrd missing (run tests/e2e/build-l1.sh $vmm)"
logdir=$E2E_DIR/logs
mkdir -p "$logdir"
log=$logdir/$name.log

if [ "$mode" = cases ] && [ -z "$cases" ]; then
	cases=$(sh "$E2E_SRC/cases.sh" list)
fi
cases=$(echo $cases)
# L1 kernel warnings help when a case fails; the demo hides them.
loglevel=4
[ "$mode" = demo ] && loglevel=3
append="console=ttyS0 panic=-1 rdinit=/init loglevel=$loglevel"
append="$append nimbus.mode=$mode nimbus.l2vmm=$vmm"
append="$append nimbus.interactive=$tty"
[ -n "$cases" ] && append="$append nimbus.cases=$(echo "$cases" | tr ' ' ,)"
[ -n "${L2_TIMEOUT:-}" ] && append="$append nimbus.l2timeout=$L2_TIMEOUT"

# The measured recipe (shared/reference/x86-e2e.md): XSAVE/AVX hidden
# because QEMU 7.2's SVM misses the XSETBV intercept; q35, not microvm.
set -- -accel tcg,thread=multi -M q35 \
	-cpu EPYC,+svm,+npt,-xsave,-avx,-avx2,-fma,-f16c \
	-smp "$smp" -m 2048 -nographic -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-kernel "$KERNEL_BZIMAGE" -initrd "$initrd" -append "$append"
# E2E_L1_DISK: a raw image given to L1 as a virtio disk (the storage disk
# set); read-only to the host: writes go to a temporary snapshot.
if [ -n "${E2E_L1_DISK:-}" ]; then
	set -- "$@" \
		-drive "file=$E2E_L1_DISK,if=none,id=e2eimg,format=raw,snapshot=on" \
		-device virtio-blk-pci,drive=e2eimg,serial=nimbus-e2e-images
fi
to=""
[ "$timeout_s" != 0 ] && to="timeout -k 5 $timeout_s"

t0=$(date +%s)
rc=0
if [ "$interactive" = 1 ]; then
	# Serial and monitor on stdio (^A x quits, ^A c monitor), ^C goes
	# to the guest; a copy of the serial output goes to the log.
	: >"$log"
	set -- "$@" -chardev "stdio,id=s0,mux=on,signal=off,logfile=$log" \
		-serial chardev:s0 -mon chardev=s0,mode=readline
	if [ "$tty" = 1 ]; then
		$to qemu-system-x86_64 "$@" 2>>"$log.stderr" || rc=$?
	else
		$to qemu-system-x86_64 "$@" </dev/null 2>>"$log.stderr" || rc=$?
	fi
else
	$to qemu-system-x86_64 "$@" </dev/null >"$log" 2>&1 || rc=$?
fi
secs=$(($(date +%s) - t0))

# --- verdict ---------------------------------------------------------------
case $rc in
124 | 137) l1_status="L1 timed out after ${timeout_s}s" ;;
0) l1_status="L1 powered off without a verdict (panic or crash?)" ;;
*)
	if [ $((rc % 2)) = 1 ]; then
		l1_status="L1 reported $(((rc - 1) / 2)) failure(s)"
	else
		l1_status="L1 qemu exit status $rc"
	fi
	;;
esac
if [ "$mode" = demo ]; then
	# L1 reports the L2 VMM's exit status as its failure count.
	case $rc in
	124 | 137 | 0) ;;
	*) [ $((rc % 2)) = 1 ] && l1_status="L2 VMM exit status $(((rc - 1) / 2))" ;;
	esac
	echo "# e2e/$name: ${secs}s wall, $l1_status, log $log"
	[ "$rc" = 1 ] && exit 0
	exit 1
fi

markers=$(tr -d '\r' <"$log" | sed -n 's/^.*NIMBUS-E2E: //p')
summary=$log.summary
: >"$summary"
nfail=0
report()
{
	echo "$1" | tee -a "$summary"
	case $1 in FAIL:*) nfail=$((nfail + 1)) ;; esac
}

# Failures outside the case list (L1 setup: l1-kvm, l1-mode).
echo "$markers" | awk '$1 == "FAIL" && $2 ~ /^l1-/' | while read -r _ c reason; do
	echo "FAIL: e2e/$c: $reason"
done >"$summary.l1"
while read -r line; do
	[ -n "$line" ] && report "$line"
done <"$summary.l1"
rm -f "$summary.l1"

for c in $cases; do
	r=$(echo "$markers" | awk -v c="$c" '($1 == "PASS" || $1 == "FAIL" ||
		$1 == "SKIP") && $2 == c { print; exit }')
	echo "$markers" | awk -v c="$c" '$1 == "INFO" && $2 == c {
		$1 = ""; $2 = ""; sub(/^ +/, ""); print "# e2e/" c ": " $0 }'
	set -- $r
	case ${1:-} in
	PASS) report "PASS: e2e/$c" ;;
	FAIL | SKIP)
		v=$1
		shift 2
		report "$v: e2e/$c: $*"
		# The L2 VMM's last output lines that cases.sh logged.
		[ "$v" = FAIL ] && tr -d '\r' <"$log" | awk -v c="$c" '
			index($0, "NIMBUS-E2E: FAIL " c " ") { on = 1; next }
			on && /^  l2\| / { print "#" substr($0, 2); next }
			{ on = 0 }'
		;;
	*) report "FAIL: e2e/$c: no result ($l1_status)" ;;
	esac
done

done_line=$(echo "$markers" | grep '^DONE ' | head -n 1 || true)
if [ -z "$done_line" ]; then
	report "FAIL: e2e/$name: no DONE marker ($l1_status)"
elif [ "$rc" != 1 ] && [ "$nfail" = 0 ]; then
	report "FAIL: e2e/$name: $l1_status"
fi
echo "# e2e/$name: ${secs}s wall, $l1_status, log $log"
[ "$nfail" = 0 ] && exit 0
case $rc in
124 | 137) exit 2 ;;
0) [ -z "$done_line" ] && exit 3 ;;
esac
exit 1
