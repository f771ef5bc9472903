#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Boots each tiny bare-metal guest (tests/guests) with the real nimbus
# binary on /dev/kvm and checks what it reports on its serial port, its
# exit status and the VMM log.  Prints PASS:/FAIL:/SKIP: lines.
set -u
O=${O:-build}
NIMBUS="$O/nimbus"
G="$O/guests"
export NIMBUS_PLUGIN_PATH=${NIMBUS_PLUGIN_PATH:-$(realpath "$O/plugins")}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	for c in hello uart cmos reset acpireset debugport smp console-input serial-pty serial-socket disk-lock badkernel; do
		echo "SKIP: guest/$c: /dev/kvm is not available"
	done
	exit 0
fi

# boot NAME [nimbus args...]: run a guest to completion (20 s limit).
boot() {
	local name=$1
	shift
	rm -f "$T/serial" "$T/log"
	timeout -s KILL 20 "$NIMBUS" --kernel "$G/$name.elf" \
		--memory size=64M --serial "file=$T/serial" --console off "$@" \
		>"$T/out" 2>"$T/log" </dev/null
}

# expect_pass NAME: the guest's own verdict lines, exit status 0.
expect_pass() {
	local case=$1 what=$2 rc=$3
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: guest/$case: nimbus exited with $rc: $(tail -n 2 "$T/log" | tr '\n' ' ')"
	elif grep -q "NIMBUS-TEST: FAIL" "$T/serial"; then
		echo "FAIL: guest/$case: $(grep -m1 'NIMBUS-TEST: FAIL' "$T/serial")"
	elif ! grep -q "NIMBUS-TEST: PASS $what" "$T/serial"; then
		echo "FAIL: guest/$case: no PASS $what line on the serial port"
	else
		echo "PASS: guest/$case"
	fi
}

boot hello; rc=$?
expect_pass hello hello $rc

boot uart; rc=$?
expect_pass uart-loopback uart-loopback $rc
expect_pass uart-irq uart-irq $rc

before=$(date -u +%s)
boot cmos; rc=$?
after=$(date -u +%s)
expect_pass cmos cmos $rc
rtc=$(sed -n 's/^NIMBUS-TEST: RTC //p' "$T/serial" | tr -d '\r')
if [ -z "$rtc" ]; then
	echo "FAIL: guest/cmos-time: the guest printed no RTC line"
else
	t=$(date -u -d "$rtc" +%s 2>/dev/null || echo 0)
	if [ "$t" -ge $((before - 2)) ] && [ "$t" -le $((after + 2)) ]; then
		echo "PASS: guest/cmos-time"
	else
		echo "FAIL: guest/cmos-time: guest RTC '$rtc' vs host $(date -u -d @"$after" '+%F %T')"
	fi
fi

boot debugport -v; rc=$?
expect_pass debugport debugport $rc
if grep -q "0x41" "$T/log" && grep -qi "kernel" "$T/log" && grep -q "0x61" "$T/log"; then
	echo "PASS: guest/debugport-log"
else
	echo "FAIL: guest/debugport-log: POST codes 0x41/0x61 not in the log"
fi

boot smp --cpus boot=2; rc=$?
expect_pass smp smp $rc

# reset_case CASE GUEST: the guest resets itself on every boot; after two
# boots SIGTERM must end nimbus cleanly with status 0.
reset_case() {
	local case=$1 guest=$2 pid n=0 rc
	rm -f "$T/serial"
	"$NIMBUS" --kernel "$G/$guest.elf" --memory size=64M \
		--serial "file=$T/serial" --console off 2>"$T/log" </dev/null &
	pid=$!
	for _ in $(seq 300); do
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
		echo "FAIL: guest/$case: saw ${n:-0} boots, expected a reboot"
	else
		echo "PASS: guest/$case"
	fi
	if [ "$rc" -eq 0 ]; then
		echo "PASS: guest/$case-sigterm"
	else
		echo "FAIL: guest/$case-sigterm: exit status $rc after SIGTERM"
	fi
}

# The i8042 reset pulse and the ACPI reset register both reboot.
reset_case reset reset
reset_case acpireset acpireset

# Console input: once the guest is ready, 400 bytes (25 times the UART's
# FIFO) go in through stdin (--serial tty, stdin a FIFO) and must all come
# back in order, then 'q' ends the guest.
echo_case() {
	local data pid rc n=0
	data=$(seq 1000 1099 | tr -d '\n')
	rm -f "$T/in" "$T/out"
	mkfifo "$T/in"
	"$NIMBUS" --kernel "$G/echo.elf" --memory size=64M --serial tty \
		<"$T/in" >"$T/out" 2>"$T/log" &
	pid=$!
	exec 3>"$T/in"
	for _ in $(seq 300); do
		grep -q "NIMBUS-TEST: READY" "$T/out" 2>/dev/null && break
		sleep 0.1
	done
	printf '%sq' "$data" >&3
	exec 3>&-
	for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	n=$(grep -c "$data" "$T/out")
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: guest/console-input: exit status $rc"
	elif [ "$n" -ne 1 ] || ! grep -q "NIMBUS-TEST: ECHOED 400" "$T/out"; then
		echo "FAIL: guest/console-input: input lost or reordered ($(grep ECHOED "$T/out"))"
	else
		echo "PASS: guest/console-input"
	fi
}
echo_case

# --serial pty: the log names the pty; a client on it sees the guest's
# output and types input, as an operator attaching with a terminal would.
pty_case() {
	local data pid cat_pid pts rc
	data=$(seq 2000 2019 | tr -d '\n')
	rm -f "$T/out" "$T/log"
	"$NIMBUS" --kernel "$G/echo.elf" --memory size=64M --serial pty \
		--console off </dev/null 2>"$T/log" &
	pid=$!
	for _ in $(seq 300); do
		pts=$(sed -n 's/.*serial console is \(\/dev\/pts\/[0-9]*\).*/\1/p' "$T/log")
		[ -n "$pts" ] && break
		sleep 0.1
	done
	if [ -z "$pts" ]; then
		kill -KILL $pid 2>/dev/null
		wait $pid
		echo "FAIL: guest/serial-pty: no pty named in the log"
		return
	fi
	cat "$pts" >"$T/out" 2>/dev/null &
	cat_pid=$!
	for _ in $(seq 300); do
		grep -q "NIMBUS-TEST: READY" "$T/out" 2>/dev/null && break
		sleep 0.1
	done
	printf '%sq' "$data" >"$pts"
	for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	kill $cat_pid 2>/dev/null
	wait $cat_pid 2>/dev/null
	if [ "$rc" -eq 0 ] && grep -q "$data" "$T/out" &&
		grep -q "NIMBUS-TEST: ECHOED 80" "$T/out"; then
		echo "PASS: guest/serial-pty"
	else
		echo "FAIL: guest/serial-pty: status $rc, output $(tr -d '\r' <"$T/out" | tail -c 120)"
	fi
}
pty_case

# --serial socket=PATH: a client connecting to the UNIX socket is the
# serial line's other end.
socket_case() {
	local pid rc out
	rm -f "$T/sock" "$T/log"
	"$NIMBUS" --kernel "$G/echo.elf" --memory size=64M \
		--serial "socket=$T/sock" --console off </dev/null 2>"$T/log" &
	pid=$!
	out=$(timeout 20 python3 - "$T/sock" <<'PY' 2>&1
import socket, sys, time
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.1)
# Output sent before a client connects is not kept (a serial line with
# nobody listening); the guest is ready within milliseconds of starting.
time.sleep(0.3)
buf = b""
s.sendall(b"socket-line-" * 10 + b"q")
while b"PASS echo" not in buf:
    d = s.recv(4096)
    if not d:
        break
    buf += d
print(buf.decode(errors="replace"))
PY
)
	for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -KILL $pid 2>/dev/null
	wait $pid
	rc=$?
	if [ "$rc" -eq 0 ] && echo "$out" | grep -q "ECHOED 120" &&
		[ ! -e "$T/sock" ]; then
		echo "PASS: guest/serial-socket"
	else
		echo "FAIL: guest/serial-socket: status $rc, socket left: $([ -e "$T/sock" ] && echo yes || echo no), $(echo "$out" | tail -c 150)"
	fi
}
socket_case

# virtio-blk image lock: while one Nimbus has a writable image, a second
# one on the same image fails at once with a message naming the file.
disk_lock_case() {
	local pid rc
	truncate -s 16M "$T/disk.img"
	rm -f "$T/in"
	mkfifo "$T/in"
	"$NIMBUS" --kernel "$G/echo.elf" --memory size=64M --serial tty \
		--disk "path=$T/disk.img" <"$T/in" >"$T/out" 2>"$T/log" &
	pid=$!
	exec 3>"$T/in"
	for _ in $(seq 300); do
		grep -q "NIMBUS-TEST: READY" "$T/out" 2>/dev/null && break
		sleep 0.1
	done
	timeout 20 "$NIMBUS" --kernel "$G/hello.elf" --memory size=64M \
		--serial null --console off --disk "path=$T/disk.img" \
		>/dev/null 2>"$T/log2" </dev/null
	rc=$?
	printf q >&3
	exec 3>&-
	wait $pid
	if [ "$rc" -eq 1 ] && grep -q "disk.img" "$T/log2" &&
		[ "$(wc -l <"$T/log2")" -le 2 ]; then
		echo "PASS: guest/disk-lock"
	else
		echo "FAIL: guest/disk-lock: second VMM status $rc: $(head -c 200 "$T/log2")"
	fi
}
disk_lock_case

# A corrupt kernel: a clear one-line error, status 1, no crash.
head -c 4096 /dev/urandom >"$T/bad.bin"
"$NIMBUS" --kernel "$T/bad.bin" --memory size=64M --console off \
	>"$T/out" 2>"$T/log" </dev/null; rc=$?
if [ "$rc" -eq 1 ] && grep -q "bad.bin" "$T/log" &&
	! grep -qiE "sanitizer|segmentation|aborted" "$T/log"; then
	echo "PASS: guest/badkernel"
else
	echo "FAIL: guest/badkernel: status $rc, log: $(head -c 300 "$T/log")"
fi
"$NIMBUS" --kernel "$T/missing" >"$T/out" 2>"$T/log"; rc=$?
if [ "$rc" -ne 0 ] && grep -q "missing" "$T/log"; then
	echo "PASS: guest/missingkernel"
else
	echo "FAIL: guest/missingkernel: status $rc"
fi
exit 0
