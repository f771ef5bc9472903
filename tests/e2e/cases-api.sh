# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
# The REST API with a real Linux guest (group "api"), sourced by cases.sh
# in L1 (busybox sh).  One Nimbus is started with only --api-socket and
# --event-monitor; curl --unix-socket and nimbus-remote then create and
# boot the Debian rootfs guest (tests/e2e/guest-api.sh, nimbus.test=api),
# read vm.info and vm.counters, pause and resume it (its TICK lines stop
# and go on), press the power button (acpid in the guest powers off:
# state Shutdown, the VMM stays), delete it, boot a second guest that
# panics (pvpanic: a "guest panic" event), and end the VMM with
# vmm.shutdown.  The event stream must match the actions.  The flow runs
# once, when the first api case asks; each case reports its step.
# (Concurrency and malformed-request floods run on the host's /dev/kvm
# with tiny guests: tests/kvm/run-api.sh.)

case_table_api()
{
	cat <<'EOF'
api-create-boot	api	--api-socket alone, vm.create + vm.boot with curl; the guest reaches userspace
api-info	api	vm.info (curl, nimbus-remote): state Running, config, device tree
api-counters	api	vm.counters: the root disk's read counters grow with guest I/O
api-pause-resume	api	vm.pause/vm.resume: state Paused, the guest stops, then goes on
api-power-button	api	vm.power-button: acpid in the guest powers off, state Shutdown, VMM stays
api-events	api	vm.delete, and the event monitor stream matches every action
api-pvpanic	api	a guest panic reaches the event monitor through pvpanic
api-vmm-shutdown	api	vmm.shutdown: answered, the VMM exits with 0
EOF
}
CASE_TABLES="$CASE_TABLES case_table_api"

AW=$W/api
ASOCK=$AW/api.sock

# api_res STEP VERDICT [REASON]: record a step's verdict (PASS, FAIL, SKIP)
# and the guest console as it was then (shown for a failure).
api_res()
{
	[ -f "$AW/$1.res" ] && return 0
	echo "$2 ${3:-}" >"$AW/$1.res"
	cp "$AW/console" "$AW/$1.console" 2>/dev/null || true
}

# api METHOD ENDPOINT [BODY_FILE]: curl; A_CODE and $AW/resp (the body).
api()
{
	if [ -n "${3:-}" ]; then
		A_CODE=$(curl -s --max-time 60 --unix-socket "$ASOCK" -X "$1" \
			-H 'Content-Type: application/json' --data-binary "@$3" \
			-o "$AW/resp" -w '%{http_code}' \
			"http://localhost/api/v1/$2" 2>/dev/null)
	else
		A_CODE=$(curl -s --max-time 60 --unix-socket "$ASOCK" -X "$1" \
			-o "$AW/resp" -w '%{http_code}' \
			"http://localhost/api/v1/$2" 2>/dev/null)
	fi
	[ -f "$AW/resp" ] || : >"$AW/resp"
}

api_state()
{
	api GET vm.info
	sed -n 's/.*"state":"\([A-Za-z]*\)".*/\1/p' "$AW/resp"
}

ticks() { tr -d '\r' <"$AW/console" | grep -c 'NIMBUS-GUEST: TICK '; }

# api_wait PATTERN FILE SECONDS: the pattern shows up in FILE in time.
api_wait()
{
	n=$(($3 * 5))
	while [ "$n" -gt 0 ]; do
		tr -d '\r' <"$2" 2>/dev/null | grep -q "$1" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# api_vm_json TEST: the VmConfig of the rootfs guest running nimbus.test=TEST.
api_vm_json()
{
	cat >"$AW/vm-$1.json" <<EOF
{"payload":{"kernel":"$BZIMAGE","initramfs":"$INITRD",
 "cmdline":"$STORAGE_CMDLINE nimbus.test=$1"},
 "cpus":{"boot_vcpus":1,"max_vcpus":1},
 "memory":{"size":$((GUEST_MEM_MB * 1024 * 1024))},
 "serial":{"mode":"Off"},"console":{"mode":"Tty"},
 "rng":{"src":"/dev/urandom"},
 "disks":[{"path":"$IMAGES/rootfs.img","readonly":true},
          {"path":"$AW/mods.tar","readonly":true,"id":"mods"}],
 "pvpanic":true}
EOF
}

api_steps="api-create-boot api-info api-counters api-pause-resume
api-power-button api-events api-pvpanic api-vmm-shutdown"

api_fail_rest()
{
	for s in $api_steps; do
		api_res "$s" "$1" "$2"
	done
}

# The whole flow, once.
api_flow()
{
	[ -f "$AW/flow.done" ] && return 0
	mkdir -p "$AW"
	: >"$AW/flow.done"
	if [ "$L2_VMM" != nimbus ]; then
		api_fail_rest SKIP "the REST API is Nimbus's (L2_VMM=$L2_VMM)"
		return 0
	fi
	storage_setup api-create-boot || {
		api_fail_rest FAIL "no storage disk set"
		return 0
	}
	# The guest kernel's modules (L1 runs the same kernel) as a tar
	# archive the guest reads from /dev/vdb.
	(cd /lib/modules/extra && tar -cf "$AW/mods.tar" \
		button.ko evdev.ko pvpanic.ko pvpanic-pci.ko) 2>"$AW/tar.err" || {
		api_fail_rest FAIL "cannot archive the guest modules: $(head -c 100 "$AW/tar.err")"
		return 0
	}
	export NIMBUS_PLUGIN_PATH="$P/plugins"
	nimbus --api-socket "path=$ASOCK" \
		--event-monitor "path=$AW/events" \
		>"$AW/console" 2>"$AW/log" </dev/null &
	APID=$!
	i=0
	while [ ! -S "$ASOCK" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	R="nimbus-remote --api-socket $ASOCK"

	# --- create + boot (curl) ---
	api GET vmm.ping
	ping=$A_CODE
	api GET vm.info
	noinfo=$A_CODE
	api_vm_json api
	api PUT vm.create "$AW/vm-api.json"
	create=$A_CODE
	api PUT vm.boot
	boot=$A_CODE
	if [ "$ping" != 200 ] || [ "$noinfo" != 404 ] || [ "$create" != 204 ] ||
		[ "$boot" != 204 ]; then
		api_fail_rest FAIL "ping $ping, info before create $noinfo, create $create, boot $boot: $(head -c 200 "$AW/resp")"
		kill -KILL "$APID" 2>/dev/null
		return 0
	fi
	if ! api_wait 'NIMBUS-GUEST: API-READY' "$AW/console" 150; then
		api_fail_rest FAIL "the guest never got ready"
		kill -KILL "$APID" 2>/dev/null
		return 0
	fi
	info api-create-boot "guest: $(tr -d '\r' <"$AW/console" | sed -n 's/^.*NIMBUS-GUEST: \(API-[A-Z]*\) /\1=/p' | tr '\n' ' ')"
	api_res api-create-boot PASS

	# --- info (curl and nimbus-remote) ---
	st=$(api_state)
	if [ "$st" != Running ]; then
		api_res api-info FAIL "state '$st'"
	elif ! grep -q "\"path\":\"$IMAGES/rootfs.img\"" "$AW/resp" ||
		! grep -q '"_disk0":{' "$AW/resp" ||
		! grep -q '"_pvpanic":{' "$AW/resp"; then
		api_res api-info FAIL "config or device tree incomplete: $(head -c 300 "$AW/resp")"
	elif ! $R info >"$AW/rinfo" || ! grep -q '"state":"Running"' "$AW/rinfo"; then
		api_res api-info FAIL "nimbus-remote info: $(head -c 200 "$AW/rinfo")"
	else
		api_res api-info PASS
	fi

	# --- counters ---
	api_wait 'NIMBUS-GUEST: TICK 3 ' "$AW/console" 30
	api GET vm.counters
	c1=$(sed -n 's/.*"_disk0":{[^}]*"read_bytes":\([0-9]*\).*/\1/p' "$AW/resp")
	if [ "$A_CODE" != 200 ]; then
		api_res api-counters FAIL "HTTP $A_CODE: $(head -c 200 "$AW/resp")"
	elif [ -z "$c1" ]; then
		api_res api-counters FAIL "no _disk0 read_bytes: $(head -c 200 "$AW/resp")"
	else
		t=$(ticks)
		api_wait "NIMBUS-GUEST: TICK $((t + 3)) " "$AW/console" 30
		$R counters >"$AW/rcounters"
		c2=$(sed -n 's/.*"_disk0":{[^}]*"read_bytes":\([0-9]*\).*/\1/p' "$AW/rcounters")
		info api-counters "_disk0 read_bytes $c1 -> ${c2:-?}"
		if [ "${c2:-0}" -gt "$c1" ] && [ "$c1" -gt 0 ]; then
			api_res api-counters PASS
		else
			api_res api-counters FAIL "read_bytes $c1 -> ${c2:-?}: $(head -c 200 "$AW/rcounters")"
		fi
	fi

	# --- pause (nimbus-remote) / resume (curl) ---
	if ! $R pause 2>"$AW/err"; then
		api_res api-pause-resume FAIL "pause: $(cat "$AW/err")"
	else
		st=$(api_state)
		sleep 1
		t1=$(ticks)
		sleep 3
		t2=$(ticks)
		$R pause 2>"$AW/err2"
		again=$?
		api PUT vm.resume
		resume=$A_CODE
		api_wait "NIMBUS-GUEST: TICK $((t2 + 2)) " "$AW/console" 20
		t3=$(ticks)
		info api-pause-resume "ticks paused $t1 -> $t2, resumed -> $t3"
		if [ "$st" != Paused ]; then
			api_res api-pause-resume FAIL "state '$st' after pause"
		elif [ "$t1" != "$t2" ]; then
			api_res api-pause-resume FAIL "the guest ran while paused ($t1 -> $t2)"
		elif [ "$again" != 1 ] || ! grep -q Paused "$AW/err2"; then
			api_res api-pause-resume FAIL "a second pause: status $again '$(cat "$AW/err2")'"
		elif [ "$resume" != 204 ] || [ "$t3" -le "$t2" ]; then
			api_res api-pause-resume FAIL "resume $resume, ticks $t2 -> $t3"
		else
			api_res api-pause-resume PASS
		fi
	fi

	# --- power button ---
	if ! $R power-button 2>"$AW/err"; then
		api_res api-power-button FAIL "power-button: $(cat "$AW/err")"
	else
		n=0
		st=$(api_state)
		while [ "$st" != Shutdown ] && [ $n -lt 60 ]; do
			sleep 1
			n=$((n + 1))
			st=$(api_state)
		done
		if [ "$st" != Shutdown ]; then
			tr -d '\r' <"$AW/console" | sed -n '/POWERING-OFF/,$p' |
				tail -n 40 | while read -r l; do
				info api-power-button "| $l"
			done
			g=$(tr -d '\r' <"$AW/console" | sed -n 's/.*TICK [0-9]* GED-IRQS=\([0-9]*\).*/\1/p' | tail -n 1)
			api_res api-power-button FAIL "state '$st' 60 s after the press (guest's GED interrupts: ${g:-?})"
		elif ! tr -d '\r' <"$AW/console" | grep -q 'NIMBUS-GUEST: POWER-BUTTON'; then
			api_res api-power-button FAIL "Shutdown, but acpid's action never ran"
		elif ! kill -0 "$APID" 2>/dev/null; then
			api_res api-power-button FAIL "the VMM ended"
		else
			info api-power-button "guest shut down ${n}s after the press"
			api_res api-power-button PASS
		fi
	fi

	# --- delete, and the event stream so far ---
	api PUT vm.delete
	del=$A_CODE
	api GET vm.info
	# The life cycle in order; the drivers' device events in between.
	got=$(sed -n 's/.*"source":"\([a-z-]*\)","event":"\([a-z-]*\)".*/\1:\2/p' \
		"$AW/events" | grep -v '^virtio-device:' | tr '\n' ' ')
	want="vmm:starting vm:booting vm:booted vm:pausing vm:paused vm:resuming vm:resumed vm:shutdown vm:deleted "
	if [ "$del" != 204 ] || [ "$A_CODE" != 404 ]; then
		api_res api-events FAIL "delete $del, info after $A_CODE"
	elif [ "$got" != "$want" ]; then
		api_res api-events FAIL "events '$got'"
	elif ! grep '"source":"virtio-device","event":"activated"' \
		"$AW/events" | grep -q '_disk0'; then
		api_res api-events FAIL "no virtio-device activated event for _disk0"
	else
		api_res api-events PASS
	fi

	# --- pvpanic: a guest that panics ---
	: >"$AW/console.1"
	cp "$AW/console" "$AW/console.1"
	api_vm_json api-panic
	api PUT vm.create "$AW/vm-api-panic.json"
	create=$A_CODE
	api PUT vm.boot
	if [ "$create" != 204 ] || [ "$A_CODE" != 204 ]; then
		api_res api-pvpanic FAIL "create $create, boot $A_CODE"
	elif api_wait '"source":"guest","event":"panic"' "$AW/events" 150; then
		api_res api-pvpanic PASS
	else
		api_res api-pvpanic FAIL "no guest panic event ($(tr -d '\r' <"$AW/console" | grep -E 'API-PVPANIC|PANIC-NOW' | tail -n 2 | tr '\n' ' '))"
	fi
	api PUT vm.shutdown
	api PUT vm.delete

	# --- vmm.shutdown ---
	api PUT vmm.shutdown
	code=$A_CODE
	n=0
	while kill -0 "$APID" 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	rc=0
	if kill -0 "$APID" 2>/dev/null; then
		kill -KILL "$APID"
		rc=timeout
	else
		wait "$APID" || rc=$?
	fi
	if [ "$code" != 204 ] || [ "$rc" != 0 ]; then
		api_res api-vmm-shutdown FAIL "answer $code, exit status $rc"
	elif ! tail -n 1 "$AW/events" | grep -q '"vmm","event":"shutdown"'; then
		api_res api-vmm-shutdown FAIL "last event: $(tail -n 1 "$AW/events")"
	elif crash_seen "$AW/log"; then
		api_res api-vmm-shutdown FAIL "crash in the VMM log"
	else
		api_res api-vmm-shutdown PASS
	fi
}

# api_case NAME: run the flow if needed and report NAME's verdict.
api_case()
{
	api_flow
	read -r v reason <"$AW/$1.res" || v=FAIL
	case $v in
	PASS) pass "$1" ;;
	SKIP) skip "$1" "$reason" ;;
	*)
		fail "$1" "${reason:-no verdict}" "$AW/$1.console"
		[ -f "$AW/log" ] && tail -n 5 "$AW/log" | sed 's/^/  vmm| /'
		;;
	esac
	return 0
}

case_api_create_boot() { api_case api-create-boot; }
case_api_info() { api_case api-info; }
case_api_counters() { api_case api-counters; }
case_api_pause_resume() { api_case api-pause-resume; }
case_api_power_button() { api_case api-power-button; }
case_api_events() { api_case api-events; }
case_api_pvpanic() { api_case api-pvpanic; }
case_api_vmm_shutdown() { api_case api-vmm-shutdown; }
