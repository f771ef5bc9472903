#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The REST API end to end on this machine's /dev/kvm with the tiny test
# guests (tests/guests): nimbus started with only --api-socket, driven by
# curl --unix-socket and nimbus-remote through create, boot, info, pause,
# resume, counters, reboot, shutdown, delete; the event monitor stream;
# pause really stopping the guest; 100 concurrent clients; 1,000
# malformed requests while the guest keeps running.  Prints PASS:/FAIL:/
# SKIP: lines like run-guests.sh.  (Power button and counters with real
# I/O need a Linux guest: tests/e2e/cases-api.sh.)
set -u
O=${O:-build}
NIMBUS="$O/nimbus"
REMOTE="$O/nimbus-remote"
G="$O/guests"
export NIMBUS_PLUGIN_PATH=${NIMBUS_PLUGIN_PATH:-$(realpath "$O/plugins")}
T=$(mktemp -d)
PID=""
# shellcheck disable=SC2317 # called by the trap
cleanup()
{
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

CASES="ping-only create-boot pause-resume info-states reboot-shutdown-delete
remote events pause-stops-guest cli-boot-poweroff concurrent-100
malformed-1000 vmm-shutdown"
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	for c in $CASES; do echo "SKIP: api/$c: /dev/kvm is not available"; done
	exit 0
fi
for tool in curl python3; do
	if ! command -v $tool >/dev/null; then
		for c in $CASES; do echo "SKIP: api/$c: $tool is missing"; done
		exit 0
	fi
done

S=$T/api.sock
pass() { echo "PASS: api/$1"; }
fail() { echo "FAIL: api/$1: $2"; }

# api METHOD ENDPOINT [BODY]: curl; prints "<status> <body>".
api()
{
	local data=()
	[ $# -ge 3 ] && data=(-H 'Content-Type: application/json' -d "$3")
	curl -s --max-time 20 --unix-socket "$S" -X "$1" "${data[@]}" \
		-w ' %{http_code}' "http://localhost/api/v1/$2" |
		awk '{ code = $NF; $NF = ""; sub(/ $/, ""); print code " " $0 }'
}

# status_is CASE WANT GOT: compare the leading status of an api answer.
status_is()
{
	if [ "${3%% *}" = "$2" ]; then
		return 0
	fi
	fail "$1" "want HTTP $2, got '${3:0:160}'"
	return 1
}

# json_get JSON EXPR: a python expression on `j` (the parsed body).
json_get()
{
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' \
		"$1" "$2" 2>/dev/null
}

start_vmm()
{
	rm -f "$S" "$T/events"
	"$NIMBUS" --api-socket "path=$S" --event-monitor "path=$T/events" \
		"$@" 2>"$T/log" </dev/null &
	PID=$!
	for _ in $(seq 200); do
		[ -S "$S" ] && return 0
		sleep 0.01
	done
	return 1
}

# wait_exit SECONDS: wait for the VMM to end; its status in RC.
wait_exit()
{
	for _ in $(seq $(($1 * 10))); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$PID" 2>/dev/null
	wait "$PID"
	RC=$?
	PID=""
}

vmjson()
{
	# $1: guest, $2: serial config JSON
	printf '{"payload":{"kernel":"%s"},"cpus":{"boot_vcpus":1,"max_vcpus":1},"memory":{"size":67108864},"serial":%s,"console":{"mode":"Off"}}' \
		"$(realpath "$G/$1.elf")" "$2"
}

# --- ping-only: the VMM starts without a payload and answers at once --------
if start_vmm; then
	r=$(api GET vmm.ping)
	v=$(json_get "${r#* }" 'j["pid"]')
	if status_is ping-only 200 "$r" && [ "$v" = "$PID" ]; then
		pass ping-only
	elif [ "${r%% *}" = 200 ]; then
		fail ping-only "pid $v, want $PID"
	fi
else
	fail ping-only "no API socket after 2 s: $(tail -n 2 "$T/log")"
fi

# --- create-boot -------------------------------------------------------------
ser="{\"mode\":\"File\",\"file\":\"$T/serial\"}"
ok=1
r=$(api GET vm.info)
status_is create-boot 404 "$r" || ok=0
r=$(api PUT vm.create "$(vmjson echo "$ser")")
status_is create-boot 204 "$r" || ok=0
r=$(api PUT vm.create "$(vmjson echo "$ser")")
status_is create-boot 405 "$r" || ok=0
r=$(api PUT vm.boot)
status_is create-boot 204 "$r" || ok=0
for _ in $(seq 100); do
	grep -q "NIMBUS-TEST: READY" "$T/serial" 2>/dev/null && break
	sleep 0.05
done
if ! grep -q "NIMBUS-TEST: READY" "$T/serial" 2>/dev/null; then
	fail create-boot "the guest printed nothing"
	ok=0
fi
[ $ok = 1 ] && pass create-boot

# --- pause-resume, info-states --------------------------------------------------
ok=1
r=$(api GET vm.info)
st=$(json_get "${r#* }" 'j["state"]')
[ "$st" = Running ] || { fail info-states "state '$st' after boot"; ok=0; }
r=$(api PUT vm.pause)
status_is pause-resume 204 "$r" || ok=0
r=$(api GET vm.info)
st=$(json_get "${r#* }" 'j["state"]')
[ "$st" = Paused ] || { fail info-states "state '$st' after pause"; ok=0; }
r=$(api PUT vm.pause)
if status_is pause-resume 405 "$r" && ! echo "$r" | grep -q Paused; then
	fail pause-resume "the error does not name the state: $r"
	ok=0
fi
r=$(api PUT vm.resume)
status_is pause-resume 204 "$r" || ok=0
r=$(api PUT vm.resume)
status_is pause-resume 405 "$r" || ok=0
r=$(api GET vm.counters)
if status_is pause-resume 200 "$r" && [ "$(json_get "${r#* }" 'type(j).__name__')" != dict ]; then
	fail pause-resume "vm.counters is not an object: $r"
	ok=0
fi
r=$(api GET vm.info)
m=$(json_get "${r#* }" 'j["memory_actual_size"]')
k=$(json_get "${r#* }" 'j["config"]["payload"]["kernel"]')
if [ "$m" != 67108864 ] || [ "$k" != "$(realpath "$G/echo.elf")" ]; then
	fail info-states "memory_actual_size '$m', kernel '$k'"
	ok=0
fi
[ $ok = 1 ] && pass pause-resume && pass info-states

# --- reboot, shutdown, boot again, delete ----------------------------------------
ok=1
r=$(api PUT vm.reboot)
status_is reboot-shutdown-delete 204 "$r" || ok=0
for _ in $(seq 100); do
	[ "$(grep -c "NIMBUS-TEST: READY" "$T/serial")" -ge 2 ] && break
	sleep 0.05
done
n=$(grep -c "NIMBUS-TEST: READY" "$T/serial")
[ "$n" -ge 2 ] || { fail reboot-shutdown-delete "$n boots after vm.reboot"; ok=0; }
r=$(api PUT vm.shutdown)
status_is reboot-shutdown-delete 204 "$r" || ok=0
r=$(api GET vm.info)
st=$(json_get "${r#* }" 'j["state"]')
[ "$st" = Shutdown ] || { fail reboot-shutdown-delete "state '$st' after shutdown"; ok=0; }
r=$(api PUT vm.boot)
status_is reboot-shutdown-delete 204 "$r" || ok=0
r=$(api PUT vm.delete)
status_is reboot-shutdown-delete 204 "$r" || ok=0
r=$(api GET vm.info)
status_is reboot-shutdown-delete 404 "$r" || ok=0
kill -0 "$PID" 2>/dev/null || { fail reboot-shutdown-delete "the VMM died"; ok=0; }
[ $ok = 1 ] && pass reboot-shutdown-delete

# --- remote: the same through nimbus-remote -----------------------------------------
ok=1
R="$REMOTE --api-socket $S"
vmjson echo "$ser" >"$T/vm.json"
if ! $R ping >"$T/out" || ! grep -q '"pid"' "$T/out"; then
	fail remote "ping"
	ok=0
fi
$R create "$T/vm.json" || { fail remote "create"; ok=0; }
$R boot || { fail remote "boot"; ok=0; }
$R info >"$T/out" && [ "$(json_get "$(cat "$T/out")" 'j["state"]')" = Running ] ||
	{ fail remote "info: $(head -c 200 "$T/out")"; ok=0; }
$R pause && $R resume || { fail remote "pause/resume"; ok=0; }
$R counters >"$T/out" && [ "$(head -c 1 "$T/out")" = "{" ] || { fail remote "counters"; ok=0; }
$R pause && $R pause 2>"$T/err"
rc=$?
if [ $rc != 1 ] || ! grep -q "the VM is Paused" "$T/err"; then
	fail remote "a second pause: status $rc, '$(cat "$T/err")'"
	ok=0
fi
$R resume
$R add-disk path=/x,readonly=on 2>"$T/err"
rc=$?
if [ $rc != 1 ] || ! grep -q "not implemented" "$T/err"; then
	fail remote "add-disk: status $rc, '$(cat "$T/err")'"
	ok=0
fi
$R add-disk path=/x,bogus=1 2>/dev/null
[ $? = 2 ] || { fail remote "add-disk with an unknown key is not a usage error"; ok=0; }
$R power-button || { fail remote "power-button"; ok=0; }
$R delete || { fail remote "delete"; ok=0; }
[ $ok = 1 ] && pass remote

# --- events: the stream matches the actions --------------------------------------------
got=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    assert set(e) == {"timestamp", "source", "event", "properties"}
    assert e["timestamp"]["secs"] >= 0 and 0 <= e["timestamp"]["nanos"] < 10**9
    print(e["source"] + ":" + e["event"], end=" ")
' "$T/events" 2>&1)
want="vmm:starting vm:booting vm:booted vm:pausing vm:paused vm:resuming vm:resumed \
vm:rebooting vm:rebooted vm:shutdown vm:booting vm:booted vm:shutdown vm:deleted \
vm:booting vm:booted vm:pausing vm:paused vm:resuming vm:resumed vm:pausing vm:paused \
vm:resuming vm:resumed vm:shutdown vm:deleted "
if [ "$got" = "$want" ]; then
	pass events
else
	fail events "got '$got'"
fi

# --- pause-stops-guest: the echo guest on a serial socket --------------------------------
ser="{\"mode\":\"Socket\",\"socket\":\"$T/serial.sock\"}"
api PUT vm.create "$(vmjson echo "$ser")" >/dev/null
api PUT vm.boot >/dev/null
out=$(timeout 30 python3 - "$T/serial.sock" "$S" <<'PY' 2>&1
import socket, sys, time, http.client

class UConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)

def api(method, ep):
    c = UConn(sys.argv[2])
    c.request(method, "/api/v1/" + ep)
    r = c.getresponse()
    r.read()
    return r.status

s = socket.socket(socket.AF_UNIX)
for _ in range(100):
    try:
        s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.05)
time.sleep(0.3)
s.settimeout(0.2)
def drain():
    buf = b""
    try:
        while True:
            d = s.recv(4096)
            if not d: break
            buf += d
    except socket.timeout:
        pass
    return buf
drain()
s.sendall(b"abc"); time.sleep(0.3)
before = drain()
assert b"abc" in before, "no echo while running: %r" % before
assert api("PUT", "vm.pause") == 204
s.sendall(b"xyz"); time.sleep(0.6)
during = drain()
assert during == b"", "echo while paused: %r" % during
assert api("PUT", "vm.resume") == 204
time.sleep(0.5)
after = drain()
assert b"xyz" in after, "no echo after resume: %r" % after
print("OK")
PY
)
if [ "$out" = OK ]; then
	pass pause-stops-guest
else
	fail pause-stops-guest "$(echo "$out" | tail -n 1)"
fi

# --- concurrent-100: 100 clients at once, every one answered ---------------------------------
out=$(timeout 60 python3 - "$S" <<'PY' 2>&1
import socket, sys
socks = []
for i in range(100):
    c = socket.socket(socket.AF_UNIX)
    c.connect(sys.argv[1])
    socks.append(c)
for i, c in enumerate(socks):
    ep = ["vmm.ping", "vm.info", "vm.counters"][i % 3]
    c.sendall(("GET /api/v1/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % ep).encode())
ok = 0
for c in socks:
    c.settimeout(20)
    buf = b""
    while True:
        d = c.recv(65536)
        if not d: break
        buf += d
    if buf.startswith(b"HTTP/1.1 200"):
        ok += 1
print(ok)
PY
)
if [ "$out" = 100 ]; then
	pass concurrent-100
else
	fail concurrent-100 "$out of 100 answered 200"
fi

# --- malformed-1000: every one gets a 4xx, and the guest keeps running -------------------------
out=$(timeout 120 python3 - "$S" "$T/serial.sock" <<'PY' 2>&1
import random, socket, sys, time
random.seed(4)
templates = [
    b"GARBAGE\r\n\r\n",
    b"GET /api/v1/vm.info HTTP/1\r\n\r\n",
    b"PUT /api/v1/vm.create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
    b"GET /api/v1/vm.info HTTP/1.1\r\nNo colon here\r\n\r\n",
    b"GET http://x/api/v1/vm.info HTTP/1.1\r\n\r\n",
    b"PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: 5\r\n\r\n{bad}",
    b"PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]",
    b"PUT /api/v1/vm.create HTTP/1.1\r\nContent-Length: 13\r\n\r\n{\"cpus\": 1.5}",
    b"DELETE /api/v1/vm.info HTTP/1.1\r\n\r\n",
    b"GET /api/v1/no.such HTTP/1.1\r\n\r\n",
    b"GET /elsewhere HTTP/1.1\r\n\r\n",
    b"PUT /api/v1/vm.boot HTTP/1.1\r\n\r\n",
]
bad = 0
for i in range(1000):
    if i % 3 == 0:
        req = bytes(random.randrange(1, 256) for _ in range(random.randrange(1, 300))) + b"\r\n\r\n"
    else:
        req = random.choice(templates)
    c = socket.socket(socket.AF_UNIX)
    c.connect(sys.argv[1])
    c.settimeout(10)
    c.sendall(req)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            d = c.recv(4096)
            if not d: break
            buf += d
    except socket.timeout:
        pass
    c.close()
    try:
        code = int(buf.split(b" ")[1])
    except Exception:
        code = 0
    if not 400 <= code < 500:
        bad += 1
        if bad < 3: print("request %d: %r -> %r" % (i, req[:60], buf[:80]))
# The guest still echoes.
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[2])
s.settimeout(2)
time.sleep(0.2)
s.sendall(b"alive")
buf = b""
end = time.time() + 5
while b"alive" not in buf and time.time() < end:
    try:
        buf += s.recv(4096)
    except socket.timeout:
        pass
print("bad=%d alive=%s" % (bad, b"alive" in buf))
PY
)
if [ "$(echo "$out" | tail -n 1)" = "bad=0 alive=True" ]; then
	pass malformed-1000
else
	fail malformed-1000 "$(echo "$out" | tr '\n' ' ' | head -c 300)"
fi
r=$(api GET vm.info)
st=$(json_get "${r#* }" 'j["state"]')
[ "$st" = Running ] || fail malformed-1000 "state '$st' afterwards"

# --- vmm-shutdown: answered, then the process ends with 0 --------------------------------------
r=$(api PUT vmm.shutdown)
wait_exit 10
if status_is vmm-shutdown 204 "$r" && [ "$RC" = 0 ] && [ ! -e "$S" ] &&
	tail -n 1 "$T/events" | grep -q '"vmm","event":"shutdown"'; then
	pass vmm-shutdown
elif [ "${r%% *}" = 204 ]; then
	fail vmm-shutdown "exit status $RC, socket left: $([ -e "$S" ] && echo yes || echo no)"
fi

# --- cli-boot-poweroff: --kernel and --api-socket: boots at once; the guest's
# power-off leaves the VMM up (state Shutdown) until vmm.shutdown.
if start_vmm --kernel "$G/hello.elf" --memory size=64M --serial "file=$T/serial2" \
	--console off; then
	for _ in $(seq 100); do
		grep -q "NIMBUS-TEST: PASS hello" "$T/serial2" 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.2
	r=$(api GET vm.info)
	st=$(json_get "${r#* }" 'j["state"]')
	if [ "$st" != Shutdown ]; then
		fail cli-boot-poweroff "state '$st' after the guest powered off"
	elif ! kill -0 "$PID" 2>/dev/null; then
		fail cli-boot-poweroff "the VMM ended"
	else
		api PUT vmm.shutdown >/dev/null
		wait_exit 10
		[ "$RC" = 0 ] && pass cli-boot-poweroff ||
			fail cli-boot-poweroff "exit status $RC"
	fi
else
	fail cli-boot-poweroff "no API socket: $(tail -n 2 "$T/log")"
fi
if grep -qiE "sanitizer|runtime error" "$T/log"; then
	echo "FAIL: api/sanitizer: $(grep -m1 -iE "sanitizer|runtime error" "$T/log")"
fi
exit 0
