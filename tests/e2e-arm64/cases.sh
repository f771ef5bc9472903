#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The arm64 end-to-end cases.  Runs inside the emulated arm64 host (L1,
# busybox sh, /dev/kvm from its nested KVM), where nimbus boots the arm64
# guest (L2) with KVM.
#
#   cases.sh run     run $E2E_CASES (default: all), print
#                    NIMBUS-E2E: PASS|FAIL|SKIP|INFO <case> [reason]
#   cases.sh list    print the case names
#
# Environment: E2E_CASES ("a b"), L2_TIMEOUT (s per guest boot, default
# 120), E2E_PAYLOAD (default /payload).
set -u

P=${E2E_PAYLOAD:-/payload}
L2_TIMEOUT=${L2_TIMEOUT:-120}
W=/tmp/e2e
FAILS=0
KERNEL=$P/l2/Image
INITRD=$P/l2/initramfs.cpio.gz
DISK=$P/l2/disk.img
CMDLINE="console=ttyAMA0 quiet loglevel=4 cryptomgr.notests"

case_table()
{
	cat <<'EOF2'
boot	1 vCPU guest reaches userspace
cpu-count	guest sees 1 CPU
memory-size	guest MemTotal fits the configured 256 MiB
uart	PL011 is the guest console (ttyAMA0)
rtc	rtc-pl031 registers as rtc0
clock	guest date (from the PL031) within 2 s of L1's
timer	the CPU takes arch-timer interrupts (virtual timer PPI through the vGIC)
virtio-blk	virtio-blk disk (ECAM + MSI-X through the ITS) reads back known data
virtio-rng	virtio-rng feeds /dev/hwrng, two reads differ
poweroff	guest poweroff -f (PSCI SYSTEM_OFF) ends the VMM with status 0
smp-boot	2 vCPU guest reaches userspace (PSCI CPU_ON)
smp-cpu-count	guest sees 2 CPUs
smp-timer	each of the 2 CPUs takes its own arch-timer interrupts
smp-poweroff	2 vCPU guest poweroff -f ends the VMM with status 0
power-key	API power-button: PL061 line 3 -> gpio-keys KEY_POWER, guest powers off, VMM exits 0
sigterm	SIGTERM presses the power button: guest powers off, VMM exits 0
reboot	guest reboot -f (PSCI SYSTEM_RESET) boots the guest again
missing-kernel	missing kernel file: clean error exit
corrupt-kernel	4 KiB of random bytes as kernel: clean error exit
EOF2
}

marker() { echo "NIMBUS-E2E: $*"; }
pass() { marker "PASS $1"; }
info() { marker "INFO $1 $2"; }
fail()
{
	marker "FAIL $1 $2"
	FAILS=$((FAILS + 1))
	if [ -n "${3:-}" ] && [ -f "$3" ]; then
		tail -n 15 "$3" | tr -d '\r' | sed 's/^/  l2| /'
	fi
}

now_cs()
{
	read -r u _ </proc/uptime
	echo $((${u%.*} * 100 + 1${u#*.} - 100))
}

# l2_start TAG NCPUS TEST [nimbus args...]: start nimbus in the
# background, output in $W/TAG.out.
l2_start()
{
	tag=$1 ncpus=$2 test=$3
	shift 3
	R_OUT=$W/$tag.out
	rm -f "$R_OUT" "$W/$tag.rc"
	: >"$R_OUT"
	R_T0=$(now_cs)
	(
		NIMBUS_PLUGIN_PATH=$P/plugins nimbus --kernel "$KERNEL" \
			--initramfs "$INITRD" \
			--cmdline "$CMDLINE nimbus.test=$test" \
			--cpus boot="$ncpus" --memory size=256M \
			--serial tty --console off -v "$@" \
			>"$R_OUT" 2>&1 </dev/null &
		echo $! >"$W/$tag.pid"
		rc=0
		wait $! || rc=$?
		echo $rc >"$W/$tag.rc"
	) &
	while [ ! -f "$W/$tag.pid" ]; do sleep 0.05; done
	R_PID=$(cat "$W/$tag.pid")
}

# l2_wait TAG PATTERN COUNT [SECS]: wait until PATTERN appeared COUNT
# times in the output (0), the VMM exited (1) or SECS (default
# L2_TIMEOUT) passed (2).
l2_wait()
{
	deadline=$(($(now_cs) + ${4:-$L2_TIMEOUT} * 100))
	while :; do
		[ "$(grep -c "$2" "$W/$1.out")" -ge "$3" ] && return 0
		[ -f "$W/$1.rc" ] && return 1
		[ "$(now_cs)" -gt "$deadline" ] && return 2
		sleep 0.1
	done
}

# l2_threads PID: what each thread of a VMM that timed out is doing (name,
# state, wait channel, system call and its kernel stack).
l2_threads()
{
	for t in /proc/"$1"/task/*; do
		[ -d "$t" ] || continue
		echo "${t##*/} $(cat "$t/comm") state=$(cut -d' ' -f3 "$t/stat") wchan=$(cat "$t/wchan" 2>/dev/null) syscall=$(cut -d' ' -f1-3 "$t/syscall" 2>/dev/null)"
		head -n 8 "$t/stack" 2>/dev/null | sed 's/^/    /'
	done
}

# l2_end TAG [SECS]: wait for the VMM to exit (default L2_TIMEOUT), kill
# it after that; sets R_RC (exit status or "timeout") and R_SECS.
l2_end()
{
	deadline=$(($(now_cs) + ${2:-$L2_TIMEOUT} * 100))
	while [ ! -f "$W/$1.rc" ] && [ "$(now_cs)" -le "$deadline" ]; do
		sleep 0.1
	done
	if [ -f "$W/$1.rc" ]; then
		R_RC=$(cat "$W/$1.rc")
	else
		l2_threads "$(cat "$W/$1.pid")" | sed "s/^/# $1 thread: /"
		kill -KILL "$(cat "$W/$1.pid")" 2>/dev/null
		sleep 0.5
		R_RC=timeout
	fi
	d=$(($(now_cs) - R_T0))
	R_SECS=$((d / 100)).$((d % 100 / 10))
}

guest_val()
{
	tr -d '\r' <"$1" | sed -n "s/^.*NIMBUS-GUEST: $2=\([^ ]*\).*/\1/p" | head -n 1
}

# --- one "info" boot per vCPU count, shared by several cases ------------
info_boot()
{
	tag=info-$1
	if [ ! -f "$W/$tag.done" ]; then
		l2_start "$tag" "$1" info --rng src=/dev/urandom \
			--disk "path=$DISK,readonly=on"
		l2_end "$tag"
		R_DATE_L1=$(date +%s)
		info "$2" "$tag: rc=$R_RC ${R_SECS}s from VMM start to exit"
		if [ "$R_RC" != 0 ]; then
			tail -n 12 "$W/$tag.out" | tr -d '\r' | sed 's/^/  l2| /'
		fi
		echo "R_RC='$R_RC' R_DATE_L1='$R_DATE_L1'" >"$W/$tag.done"
	fi
	. "$W/$tag.done"
	R_OUT=$W/$tag.out
	if ! grep -q 'NIMBUS-GUEST: USERSPACE' "$R_OUT"; then
		fail "$2" "guest never reached userspace (vmm rc=$R_RC)" "$R_OUT"
		return 1
	fi
}

expect_val() # case key want
{
	v=$(guest_val "$R_OUT" "$2")
	if [ "$v" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "$2='$v', want '$3'" "$R_OUT"
	fi
}

case_boot() { info_boot 1 boot && pass boot; }
case_cpu_count() { info_boot 1 cpu-count && expect_val cpu-count NCPUS 1; }
case_memory_size()
{
	info_boot 1 memory-size || return 0
	kb=$(guest_val "$R_OUT" MEMKB)
	max=$((256 * 1024))
	# The kernel keeps its image and early allocations out of MemTotal;
	# allow 64 MiB.
	min=$((max - 64 * 1024))
	info memory-size "MemTotal ${kb:-?} kB of $max kB"
	case $kb in
	'' | *[!0-9]*) fail memory-size "no MEMKB from the guest" "$R_OUT" ;;
	*)
		if [ "$kb" -gt "$max" ] || [ "$kb" -lt "$min" ]; then
			fail memory-size "MemTotal $kb kB not in $min..$max kB"
		else
			pass memory-size
		fi
		;;
	esac
}

case_uart() { info_boot 1 uart && expect_val uart UART pl011; }
case_rtc() { info_boot 1 rtc && expect_val rtc RTC ok; }

case_clock()
{
	info_boot 1 clock || return 0
	g=$(guest_val "$R_OUT" DATE)
	case $g in
	'' | *[!0-9]*)
		fail clock "no DATE from the guest" "$R_OUT"
		return 0
		;;
	esac
	# The guest printed DATE just before powering off; L1 read its own
	# clock right after the VMM exited.
	d=$((R_DATE_L1 - g))
	info clock "guest $g, L1 $R_DATE_L1 (diff ${d}s)"
	if [ "$d" -ge -2 ] && [ "$d" -le 2 ]; then
		pass clock
	else
		fail clock "guest clock off by ${d}s"
	fi
}

case_virtio_blk()
{
	info_boot 1 virtio-blk && expect_val virtio-blk DISK "$(cat "$DISK.sha256")"
}

case_virtio_rng()
{
	info_boot 1 virtio-rng || return 0
	v=$(guest_val "$R_OUT" HWRNG)
	case $v in
	ok:virtio_rng*) pass virtio-rng ;;
	*) fail virtio-rng "HWRNG='$v'" "$R_OUT" ;;
	esac
}

case_poweroff()
{
	info_boot 1 poweroff || return 0
	if [ "$R_RC" = 0 ] && grep -q 'NIMBUS-GUEST: POWEROFF' "$R_OUT"; then
		pass poweroff
	else
		fail poweroff "vmm rc=$R_RC" "$R_OUT"
	fi
}

# timer_check CASE NCPUS: TIMER-IRQS has NCPUS counts, none of them 0.
timer_check()
{
	t=$(guest_val "$R_OUT" TIMER-IRQS)
	info "$1" "arch-timer interrupts per CPU: ${t:-?}"
	n=0 bad=""
	for c in $(echo "$t" | tr ',' ' '); do
		n=$((n + 1))
		[ "$c" -gt 0 ] 2>/dev/null || bad="$bad cpu$((n - 1))=$c"
	done
	if [ "$n" != "$2" ]; then
		fail "$1" "TIMER-IRQS='$t', want $2 counts" "$R_OUT"
	elif [ -n "$bad" ]; then
		fail "$1" "no arch-timer interrupts on$bad" "$R_OUT"
	else
		pass "$1"
	fi
}

case_timer() { info_boot 1 timer && timer_check timer 1; }
case_smp_timer() { info_boot 2 smp-timer && timer_check smp-timer 2; }
case_smp_boot() { info_boot 2 smp-boot && pass smp-boot; }
case_smp_cpu_count() { info_boot 2 smp-cpu-count && expect_val smp-cpu-count NCPUS 2; }

case_smp_poweroff()
{
	info_boot 2 smp-poweroff || return 0
	if [ "$R_RC" = 0 ] && grep -q 'NIMBUS-GUEST: POWEROFF' "$R_OUT"; then
		pass smp-poweroff
	else
		fail smp-poweroff "vmm rc=$R_RC" "$R_OUT"
	fi
}

# power_key CASE HOW: boot the powerkey guest, press once it listens.
power_key()
{
	tag=$1
	sock=$W/$tag.sock
	rm -f "$sock"
	if [ "$2" = api ]; then
		l2_start "$tag" 1 powerkey --api-socket "path=$sock"
	else
		l2_start "$tag" 1 powerkey
	fi
	if ! l2_wait "$tag" 'NIMBUS-GUEST: KEY-READY' 1; then
		l2_end "$tag" 1
		fail "$1" "guest never listened for the key (vmm rc=$R_RC)" "$R_OUT"
		return 0
	fi
	case $2 in
	api) nimbus-remote --api-socket "$sock" power-button >"$W/$tag.remote" 2>&1 ||
		info "$1" "nimbus-remote: $(head -c 200 "$W/$tag.remote")" ;;
	sigterm) kill -TERM "$R_PID" ;;
	esac
	# With an API socket the VMM outlives its VM (Cloud Hypervisor's
	# rule): once the guest is down, end it through the API.
	if [ "$2" = api ] && l2_wait "$tag" 'reboot: Power down' 1; then
		sleep 1
		nimbus-remote --api-socket "$sock" shutdown-vmm \
			>>"$W/$tag.remote" 2>&1
	fi
	l2_end "$tag"
	if ! grep -q 'NIMBUS-GUEST: POWER-KEY' "$R_OUT"; then
		fail "$1" "the guest saw no KEY_POWER (vmm rc=$R_RC)" "$R_OUT"
	elif [ "$R_RC" != 0 ]; then
		fail "$1" "guest shut down but the VMM exited with $R_RC" "$R_OUT"
	else
		info "$1" "${R_SECS}s from VMM start to exit"
		pass "$1"
	fi
}

case_power_key() { power_key power-key api; }
case_sigterm() { power_key sigterm sigterm; }

case_reboot()
{
	l2_start reboot 1 reboot
	# Two guest boots.
	l2_wait reboot 'NIMBUS-GUEST: BOOT' 2 $((2 * L2_TIMEOUT))
	r=$?
	kill -KILL "$R_PID" 2>/dev/null
	l2_end reboot 5
	n=$(grep -c 'NIMBUS-GUEST: BOOT' "$R_OUT")
	if [ "$r" = 0 ]; then
		info reboot "second boot after ${R_SECS}s"
		pass reboot
	else
		fail reboot "$n boot(s) seen, want 2 (vmm rc=$R_RC)" "$R_OUT"
	fi
}

# bad_kernel CASE FILE WANT: nimbus refuses FILE as kernel with status 1
# and a message matching WANT, without a crash.
bad_kernel()
{
	rc=0
	NIMBUS_PLUGIN_PATH=$P/plugins timeout 30 nimbus --kernel "$2" \
		--memory size=256M --serial off --console off \
		>"$W/$1.out" 2>&1 </dev/null || rc=$?
	if grep -Eq 'Segmentation|Aborted|core dumped' "$W/$1.out"; then
		fail "$1" "nimbus crashed (rc=$rc)" "$W/$1.out"
	elif [ "$rc" != 1 ] || ! grep -q "$3" "$W/$1.out"; then
		fail "$1" "rc=$rc, want 1 and '$3'" "$W/$1.out"
	else
		info "$1" "$(head -n 1 "$W/$1.out")"
		pass "$1"
	fi
}

case_missing_kernel() { bad_kernel missing-kernel /nonexistent/Image 'No such file'; }

case_corrupt_kernel()
{
	# 4 KiB of pseudo-random bytes from a fixed seed (build.sh).
	bad_kernel corrupt-kernel "$P/l2/corrupt-kernel" 'not an arm64 Image'
}

run_cases()
{
	mkdir -p "$W"
	want=${E2E_CASES:-$(case_table | cut -f1)}
	marker "PLAN $(echo $want)"
	for c in $want; do
		fn=case_$(echo "$c" | tr - _)
		if ! command -v "$fn" >/dev/null 2>&1; then
			fail "$c" "no such case"
			continue
		fi
		marker "START $c uptime=$(cut -d' ' -f1 /proc/uptime)"
		"$fn"
	done
	return $FAILS
}

case ${1:-run} in
list) case_table | cut -f1 ;;
run) run_cases ;;
*) echo "usage: cases.sh run|list" >&2; exit 2 ;;
esac
