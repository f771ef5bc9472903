#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Boots the tiny bare-metal guests (tests/guests) with the real nimbus
# binary and the real MSHV plugin code, through the MSHV simulator on
# /dev/kvm: nimbus --hv mshv --hv-plugin $O/plugins/hv-mshv-sim.so.  Checks
# what each guest reports on its serial port, its exit status, and the
# simulator's counters (how many MMIO and port I/O intercepts went to the
# plugin).  Prints PASS:/FAIL:/SKIP: lines named kvm/mshv-<case>.
set -u
O=${O:-build}
NIMBUS="$O/nimbus"
G="$O/guests"
SIM="$O/plugins/hv-mshv-sim.so"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

CASES="hello uart-loopback uart-irq cmos cmos-time debugport smp reset
reset-sigterm acpireset acpireset-sigterm console-input mmio-loop
mmio-count pio-loop pio-count"

skip_all() {
	for c in $CASES; do
		echo "SKIP: kvm/mshv-$c: $1"
	done
	exit 0
}

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	skip_all "/dev/kvm is not available"
fi
if ! [ -f "$SIM" ] || ! [ -x "$NIMBUS" ]; then
	skip_all "$SIM or $NIMBUS not built"
fi
SIM=$(realpath "$SIM")
MSHV=(--hv mshv --hv-plugin "$SIM")

# boot NAME LIMIT [nimbus args...]: run a guest to completion.  -v puts
# the simulator's counters (an info line) in $T/log.
boot() {
	local name=$1 limit=$2
	shift 2
	rm -f "$T/serial" "$T/log"
	timeout -s KILL "$limit" "$NIMBUS" "${MSHV[@]}" -v \
		--kernel "$G/$name.elf" --memory size=64M \
		--serial "file=$T/serial" --console off "$@" \
		>"$T/out" 2>"$T/log" </dev/null
}

# expect_pass CASE WHAT RC: the guest's own verdict, exit status 0.
expect_pass() {
	local case=$1 what=$2 rc=$3
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: kvm/mshv-$case: nimbus exited with $rc: $(grep -m2 -E 'error' "$T/log" | tr '\n' ' ')"
	elif grep -q "NIMBUS-TEST: FAIL" "$T/serial"; then
		echo "FAIL: kvm/mshv-$case: $(grep -m1 'NIMBUS-TEST: FAIL' "$T/serial")"
	elif ! grep -q "NIMBUS-TEST: PASS $what" "$T/serial"; then
		echo "FAIL: kvm/mshv-$case: no PASS $what line on the serial port"
	else
		echo "PASS: kvm/mshv-$case"
	fi
}

# counter NAME: the simulator's count of NAME intercepts ("MMIO" or
# "port I/O") from its close-time log line, or empty.
counter() {
	sed -n "s/.*mshv-sim: partition [0-9]*: \([0-9]*\) MMIO intercepts.* and \([0-9]*\) port I\/O intercepts.*/\1 \2/p" \
		"$T/log" | head -n 1 | {
		read -r m p
		[ "$1" = MMIO ] && echo "${m:-}" || echo "${p:-}"
	}
}

# expect_count CASE NAME MIN: at least MIN intercepts of kind NAME.
expect_count() {
	local n
	n=$(counter "$2")
	if [ -z "$n" ]; then
		echo "FAIL: kvm/mshv-$1: no simulator counter line in the log"
	elif [ "$n" -lt "$3" ]; then
		echo "FAIL: kvm/mshv-$1: $n $2 intercepts, want at least $3"
	else
		echo "PASS: kvm/mshv-$1"
	fi
}

boot hello 30; rc=$?
expect_pass hello hello $rc

boot uart 30; rc=$?
expect_pass uart-loopback uart-loopback $rc
expect_pass uart-irq uart-irq $rc

before=$(date -u +%s)
boot cmos 30; rc=$?
after=$(date -u +%s)
expect_pass cmos cmos $rc
rtc=$(sed -n 's/^NIMBUS-TEST: RTC //p' "$T/serial" | tr -d '\r')
t=$(date -u -d "$rtc" +%s 2>/dev/null || echo 0)
if [ -n "$rtc" ] && [ "$t" -ge $((before - 2)) ] && [ "$t" -le $((after + 2)) ]; then
	echo "PASS: kvm/mshv-cmos-time"
else
	echo "FAIL: kvm/mshv-cmos-time: guest RTC '$rtc' vs host $(date -u -d @"$after" '+%F %T')"
fi

boot debugport 30; rc=$?
expect_pass debugport debugport $rc

boot smp 30 --cpus boot=2; rc=$?
expect_pass smp smp $rc

# reset_case CASE GUEST: the guest resets itself on every boot; after two
# boots SIGTERM must end nimbus cleanly with status 0.
reset_case() {
	local case=$1 guest=$2 pid n=0 rc
	rm -f "$T/serial"
	"$NIMBUS" "${MSHV[@]}" --kernel "$G/$guest.elf" --memory size=64M \
		--serial "file=$T/serial" --console off 2>"$T/log" </dev/null &
	pid=$!
	for _ in $(seq 200); do
		n=$(grep -c "NIMBUS-TEST: BOOT" "$T/serial" 2>/dev/null)
		[ "${n:-0}" -ge 2 ] && break
		sleep 0.1
	done
	kill -TERM $pid 2>/dev/null
	for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	if [ "${n:-0}" -lt 2 ]; then
		echo "FAIL: kvm/mshv-$case: saw ${n:-0} boots, expected a reboot"
	else
		echo "PASS: kvm/mshv-$case"
	fi
	if [ "$rc" -eq 0 ]; then
		echo "PASS: kvm/mshv-$case-sigterm"
	else
		echo "FAIL: kvm/mshv-$case-sigterm: exit status $rc after SIGTERM"
	fi
}
reset_case reset reset
reset_case acpireset acpireset

# Console input: 400 bytes through stdin once the guest is ready; all
# must come back in order, then 'q' ends the guest.
echo_case() {
	local data pid rc n
	data=$(seq 1000 1099 | tr -d '\n')
	rm -f "$T/in" "$T/out"
	mkfifo "$T/in"
	"$NIMBUS" "${MSHV[@]}" --kernel "$G/echo.elf" --memory size=64M \
		--serial tty <"$T/in" >"$T/out" 2>"$T/log" &
	pid=$!
	exec 3>"$T/in"
	for _ in $(seq 200); do
		grep -q "NIMBUS-TEST: READY" "$T/out" 2>/dev/null && break
		sleep 0.1
	done
	printf '%sq' "$data" >&3
	exec 3>&-
	for _ in $(seq 200); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	n=$(grep -c "$data" "$T/out")
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: kvm/mshv-console-input: exit status $rc"
	elif [ "$n" -ne 1 ] || ! grep -q "NIMBUS-TEST: ECHOED 400" "$T/out"; then
		echo "FAIL: kvm/mshv-console-input: input lost or reordered ($(grep ECHOED "$T/out"))"
	else
		echo "PASS: kvm/mshv-console-input"
	fi
}
echo_case

# 100000 reads of unclaimed MMIO: each is an unmapped-GPA intercept the
# plugin's instruction emulator completes with all-ones.
boot mmio_loop 300; rc=$?
expect_pass mmio-loop mmio_loop $rc
if ! grep -q "all-ones" "$T/serial"; then
	echo "FAIL: kvm/mshv-mmio-count: the guest did not read all-ones"
else
	expect_count mmio-count MMIO 100000
fi

# 100000 OUTs to an unclaimed port: port I/O intercepts.
boot pio_loop 300; rc=$?
expect_pass pio-loop pio_loop $rc
expect_count pio-count "port I/O" 100000
exit 0
