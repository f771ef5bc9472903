#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Nimbus end-to-end cases.  Runs inside the emulated host (L1, busybox sh),
# where the L2 VMM under test boots Debian's cloud kernel with KVM.
#
#   cases.sh run            run $E2E_CASES (default: every case), print
#                           NIMBUS-E2E: PASS|FAIL|SKIP <case> [reason]
#                           lines, exit with the number of failures
#   cases.sh demo           boot the guest on the console (make run)
#   cases.sh list [GROUP]   print the case names of GROUP (up, smp,
#                           storage, bench, a fragment's group, or all;
#                           default: up and smp); also used on the host
#                           to plan the L1 runs
#   cases.sh groups         print every group name, one a line
#
# Fragments: each tests/e2e/cases-<area>.sh (copied next to this file in
# L1) is sourced after the helpers below; it appends the name of a
# function printing its case table rows (name<TAB>group<TAB>text) to
# CASE_TABLES and defines case_<name> for each row.  A fragment's own
# group runs in its own 2-vCPU L1 with the storage disk set.
#
# Environment: L2_VMM=qemu|nimbus, E2E_CASES="a b", L2_TIMEOUT (seconds
# per L2 VMM run), E2E_PAYLOAD (default /payload), E2E_INTERACTIVE=0|1
# (demo: guest shell or `info` run; default: whether stdin is a tty),
# E2E_IMAGES (storage disk set, default /images).
# Group "up" cases boot 1-vCPU guests and run in a 2-vCPU L1; group "smp"
# cases boot 2-vCPU guests and run in a separate 1-vCPU L1 (2-vCPU guests
# in a 2-vCPU L1 can freeze L1, see shared/reference/x86-e2e.md).  Group
# "storage" cases boot 1-vCPU guests from the Debian rootfs on virtio-blk
# with virtio-console and virtio-rng (build-rootfs.sh); they need the
# carrier disk (virtio serial nimbus-e2e-images) that run-e2e.sh gives L1,
# which they mount on $E2E_IMAGES.
set -eu

P=${E2E_PAYLOAD:-/payload}
L2_VMM=${L2_VMM:-qemu}
L2_TIMEOUT=${L2_TIMEOUT:-45}
GUEST_MEM_MB=256
GUEST_CMDLINE="console=ttyS0 quiet loglevel=4"
BZIMAGE=$P/guest/bzImage
VMLINUX=$P/guest/vmlinux
INITRD=$P/guest/initramfs.cpio.gz
W=/tmp/e2e
FAILS=0
IMAGES=${E2E_IMAGES:-/images}
STORAGE_CMDLINE="console=hvc0 quiet loglevel=4 root=/dev/vda ro init=/sbin/nimbus-test"
# One storage guest run (Debian userspace, fio) takes longer than an
# initramfs boot.
STORAGE_TIMEOUT=${L2_STORAGE_TIMEOUT:-90}
# Virtio devices of the next l2_vmm_boot: L2_VIRTIO=1 adds virtio-console
# (the guest console, serial off) and virtio-rng; L2_DISKS lists disk
# images, "PATH" (writable) or "PATH:ro", first one /dev/vda.
L2_VIRTIO=0
L2_DISKS=""

case_table()
{
	cat <<'EOF'
boot-bzimage	up	1 vCPU guest from bzImage reaches userspace
cpu-count	up	guest sees 1 CPU
memory-size	up	guest MemTotal fits the configured 256 MiB
uart	up	8250 driver probes a 16550A on ttyS0
rtc	up	rtc_cmos registers
acpi	up	no ACPI errors in the guest log
clock	up	guest date within 2 s of L1's
poweroff	up	guest poweroff -f makes the VMM exit 0
boot-pvh	up	guest from vmlinux (PVH entry) reaches userspace
reboot	up	guest reboot -f boots the guest again
missing-kernel	up	missing kernel file: clean error exit
corrupt-kernel	up	4 KiB of random bytes as kernel: clean error exit
smp-boot	smp	2 vCPU guest reaches userspace and powers off
smp-cpu-count	smp	guest sees 2 CPUs
smp-pvh	smp	2 vCPU guest from vmlinux (PVH) sees 2 CPUs and powers off
root-vda	storage	Debian 12 boots from virtio-blk root=/dev/vda to its init
hvc0	storage	virtio-console: /dev/hvc0, console=hvc0 output arrives
hwrng	storage	virtio-rng: /dev/hwrng, two 64-byte reads differ
disk-ro	storage	readonly=on disk: read-only mount, writes fail, image intact
disk-write	storage	file written and synced by the guest is in the image
fio-verify	storage	fio --verify=crc32c on a raw scratch disk
kill-survival	storage	fsynced data is in the image after SIGKILL of the VMM
fio-bench	bench	fio 4k randread QD32 and 128k seq read/write, direct=1 (bench/storage.sh)
fio-bench-sync	bench	fio-bench with Nimbus's synchronous I/O engine (bench/storage.sh)
EOF
	for t in $CASE_TABLES; do
		"$t"
	done
}

# --- the L2 VMM, abstracted ------------------------------------------------
# l2_vmm_boot KERNEL INITRAMFS CMDLINE NCPUS MEM_MB: exec the L2 VMM with
# the guest's serial console on stdio (virtio console with L2_VIRTIO=1,
# plus the disks of L2_DISKS, see above).  It replaces the calling shell,
# so call it in a subshell or background job.  L2_TIMEOUT (0 = none)
# bounds the run through busybox timeout; L2_INTERACTIVE=1 keeps ^C for
# the guest.
l2_vmm_boot()
{
	to=""
	if [ "${L2_TIMEOUT:-0}" != 0 ]; then
		to="timeout -s KILL $L2_TIMEOUT"
	fi
	case $L2_VMM in
	qemu)
		mach=microvm,acpi=on,rtc=on,pit=on,pic=on,isa-serial=on
		ser="-serial stdio"
		if [ "${L2_INTERACTIVE:-0}" = 1 ]; then
			ser="-chardev stdio,id=con0,signal=off -serial chardev:con0"
		fi
		if [ "$L2_VIRTIO" = 1 ]; then
			mach=microvm,acpi=on,rtc=on,pit=on,pic=on,isa-serial=off,pcie=on
			ser="-chardev stdio,id=con0 -device virtio-serial-pci"
			ser="$ser -device virtconsole,chardev=con0"
			ser="$ser -object rng-random,id=rng0,filename=/dev/urandom"
			ser="$ser -device virtio-rng-pci,rng=rng0"
		fi
		n=0
		for d in $L2_DISKS; do
			ro=""
			case $d in
			*:ro) ro=",readonly=on" d=${d%:ro} ;;
			# O_DIRECT and native AIO, as the storage benchmark asks.
			*:direct) ro=",cache=none,aio=native" d=${d%:direct} ;;
			esac
			ser="$ser -drive file=$d,if=none,id=vd$n,format=raw$ro"
			ser="$ser -device virtio-blk-pci,drive=vd$n"
			n=$((n + 1))
		done
		# $to and $ser split into words on purpose.
		# shellcheck disable=SC2086
		exec $to qemu-system-x86_64 -L "$P/qemu" -accel kvm \
			-M "$mach" \
			-cpu host -smp "$4" -m "$5" -nodefaults -no-user-config \
			-display none $ser \
			-kernel "$1" -initrd "$2" -append "$3"
		;;
	nimbus)
		export NIMBUS_PLUGIN_PATH="$P/plugins"
		# Cloud Hypervisor's syntax: --serial off --console tty makes
		# hvc0 the console; --disk is repeated, first one /dev/vda.
		dev="--serial tty"
		if [ "$L2_VIRTIO" = 1 ]; then
			dev="--serial off --console tty --rng src=/dev/urandom"
		fi
		for d in $L2_DISKS; do
			case $d in
			*:ro) dev="$dev --disk path=${d%:ro},readonly=on" ;;
			*:direct) dev="$dev --disk path=${d%:direct},direct=on" ;;
			*) dev="$dev --disk path=$d" ;;
			esac
			case $d in
			*:ro) ;;
			*) dev="$dev${L2_DISK_OPTS:-}" ;;
			esac
		done
		# shellcheck disable=SC2086
		exec $to nimbus --kernel "$1" --initramfs "$2" \
			--cmdline "$3" --cpus boot="$4" --memory size="$5"M \
			$dev
		;;
	*)
		echo "cases.sh: unknown L2_VMM '$L2_VMM'" >&2
		exit 127
		;;
	esac
}

# --- helpers ---------------------------------------------------------------
now_cs()
{
	read -r u _ </proc/uptime
	echo $((${u%.*} * 100 + 1${u#*.} - 100))
}

marker() { echo "NIMBUS-E2E: $*"; }
pass() { marker "PASS $1"; }
skip() { marker "SKIP $1 $2"; }
info() { marker "INFO $1 $2"; }
fail()
{
	marker "FAIL $1 $2"
	FAILS=$((FAILS + 1))
	if [ -n "${3:-}" ] && [ -f "$3" ]; then
		tail -n 20 "$3" | tr -d '\r' | sed 's/^/  l2| /'
	fi
}

# l2_run TAG KERNEL INITRD CMDLINE NCPUS [STOP_PATTERN STOP_COUNT]: run the
# L2 VMM with output in $W/TAG.out, polling it; stop (SIGKILL) the VMM once
# STOP_PATTERN has been seen STOP_COUNT times.  Sets R_RC (exit status, or
# "timeout" / "stopped"), R_BOOT (VMM start to USERSPACE marker, seconds
# with 1 decimal, "-" if never), R_DATE_L1 (L1's epoch when the guest's
# DATE line was first seen) and R_OUT.
l2_run()
{
	tag=$1
	R_OUT=$W/$tag.out
	rm -f "$R_OUT" "$R_OUT.pid" "$R_OUT.rc"
	: >"$R_OUT"
	start=$(now_cs)
	deadline=$((start + (L2_TIMEOUT + 5) * 100))
	(
		l2_vmm_boot "$2" "$3" "$4" "$5" "$GUEST_MEM_MB" \
			>"$R_OUT" 2>&1 </dev/null &
		echo $! >"$R_OUT.pid"
		rc=0
		wait $! || rc=$?
		echo $rc >"$R_OUT.rc"
	) &
	runner=$!
	R_BOOT=-
	R_DATE_L1=""
	stopped=""
	while [ ! -f "$R_OUT.rc" ]; do
		t=$(now_cs)
		if [ "$R_BOOT" = - ] && grep -q 'NIMBUS-GUEST: USERSPACE' "$R_OUT"; then
			d=$((t - start))
			R_BOOT=$((d / 100)).$((d % 100 / 10))
		fi
		if [ -z "$R_DATE_L1" ] && grep -q 'NIMBUS-GUEST: DATE=' "$R_OUT"; then
			R_DATE_L1=$(date +%s)
		fi
		if [ -n "${6:-}" ] && [ -z "$stopped" ] &&
			[ "$(grep -c "$6" "$R_OUT")" -ge "$7" ]; then
			stopped=stopped
		elif [ "$t" -gt "$deadline" ]; then
			stopped=timeout
		fi
		if [ -n "$stopped" ]; then
			if [ -f "$R_OUT.pid" ]; then
				kill -KILL "$(cat "$R_OUT.pid")" 2>/dev/null || true
			fi
			break
		fi
		sleep 0.2
	done
	wait "$runner" 2>/dev/null || true
	# A fast VMM can print DATE and exit between two polls: the line is
	# then at most one poll interval (plus the power-off) old.
	if [ -z "$R_DATE_L1" ] && grep -q 'NIMBUS-GUEST: DATE=' "$R_OUT"; then
		R_DATE_L1=$(date +%s)
	fi
	R_RC=$(cat "$R_OUT.rc" 2>/dev/null || echo timeout)
	if [ -n "$stopped" ]; then
		R_RC=$stopped
	elif [ "$R_RC" = 137 ]; then
		R_RC=timeout # busybox timeout's SIGKILL
	fi
}

# guest_val OUT KEY: the value of the first "NIMBUS-GUEST: KEY=value" line.
guest_val()
{
	tr -d '\r' <"$1" | sed -n "s/^.*NIMBUS-GUEST: $2=\([^ ]*\).*/\1/p" | head -n 1
}

crash_seen()
{
	grep -Eq 'Segmentation fault|Aborted|core dumped|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|KVM internal error' "$1"
}

# info_boot TAG KERNEL NCPUS CASE: one "info" guest boot shared by several
# cases (the first CASE to ask boots it; an SMP boot is retried once).
info_boot()
{
	if [ -f "$W/$1.done" ]; then
		# shellcheck disable=SC1090 # written by this function below
		. "$W/$1.done"
		return 0
	fi
	tries=1
	[ "$3" -gt 1 ] && tries=2
	while :; do
		l2_run "$1" "$2" "$INITRD" "$GUEST_CMDLINE nimbus.test=info" "$3"
		tries=$((tries - 1))
		if [ "$R_RC" = 0 ] || [ "$tries" = 0 ]; then
			break
		fi
		info "$4" "attempt failed (rc=$R_RC), retrying once"
		mv "$R_OUT" "$R_OUT.attempt1"
	done
	info "$4" "$1 boot: vmm=$L2_VMM rc=$R_RC boot-to-userspace=${R_BOOT}s"
	cat >"$W/$1.done" <<EOF
R_RC='$R_RC' R_BOOT='$R_BOOT' R_DATE_L1='$R_DATE_L1' R_OUT='$R_OUT'
EOF
}

need_userspace()
{
	if ! grep -q 'NIMBUS-GUEST: USERSPACE' "$R_OUT"; then
		fail "$1" "guest never reached userspace (vmm rc=$R_RC)" "$R_OUT"
		return 1
	fi
}

# --- cases -----------------------------------------------------------------
case_boot_bzimage()
{
	info_boot info-up "$BZIMAGE" 1 boot-bzimage
	need_userspace boot-bzimage || return 0
	pass boot-bzimage
}

case_cpu_count()
{
	info_boot info-up "$BZIMAGE" 1 cpu-count
	need_userspace cpu-count || return 0
	n=$(guest_val "$R_OUT" NCPUS)
	if [ "$n" = 1 ]; then
		pass cpu-count
	else
		fail cpu-count "guest sees '${n}' CPUs, want 1" "$R_OUT"
	fi
}

case_memory_size()
{
	info_boot info-up "$BZIMAGE" 1 memory-size
	need_userspace memory-size || return 0
	kb=$(guest_val "$R_OUT" MEMKB)
	max=$((GUEST_MEM_MB * 1024))
	# The kernel keeps its image and early allocations out of MemTotal:
	# about 33 MiB of 256 with this kernel; allow 64 MiB.
	min=$((max - 64 * 1024))
	info memory-size "MemTotal ${kb:-?} kB of $max kB"
	case $kb in
	'' | *[!0-9]*) fail memory-size "no MEMKB from guest" "$R_OUT" ;;
	*)
		if [ "$kb" -gt "$max" ] || [ "$kb" -lt "$min" ]; then
			fail memory-size "MemTotal $kb kB not in $min..$max kB"
		else
			pass memory-size
		fi
		;;
	esac
}

case_uart()
{
	info_boot info-up "$BZIMAGE" 1 uart
	need_userspace uart || return 0
	u=$(guest_val "$R_OUT" UART)
	if [ "$u" = 16550A ]; then
		pass uart
	else
		fail uart "ttyS0 is '${u}', want 16550A" "$R_OUT"
	fi
}

case_rtc()
{
	info_boot info-up "$BZIMAGE" 1 rtc
	need_userspace rtc || return 0
	if [ "$(guest_val "$R_OUT" RTC)" = ok ]; then
		pass rtc
	else
		fail rtc "rtc_cmos did not register" "$R_OUT"
	fi
}

case_acpi()
{
	info_boot info-up "$BZIMAGE" 1 acpi
	need_userspace acpi || return 0
	n=$(guest_val "$R_OUT" ACPI-ERRORS)
	if [ "$n" = 0 ]; then
		pass acpi
	else
		fail acpi "${n:-?} ACPI error lines" "$R_OUT"
	fi
}

case_clock()
{
	info_boot info-up "$BZIMAGE" 1 clock
	need_userspace clock || return 0
	g=$(guest_val "$R_OUT" DATE)
	if [ -z "$g" ] || [ -z "$R_DATE_L1" ]; then
		fail clock "no DATE line from guest" "$R_OUT"
		return 0
	fi
	d=$((g - R_DATE_L1))
	info clock "guest $g, L1 $R_DATE_L1 when seen: delta ${d}s"
	if [ "$d" -ge -2 ] && [ "$d" -le 2 ]; then
		pass clock
	else
		fail clock "guest date off by ${d}s"
	fi
}

case_poweroff()
{
	info_boot info-up "$BZIMAGE" 1 poweroff
	need_userspace poweroff || return 0
	if [ "$R_RC" = 0 ]; then
		pass poweroff
	else
		fail poweroff "VMM exit status $R_RC after poweroff -f" "$R_OUT"
	fi
}

case_boot_pvh()
{
	l2_run pvh "$VMLINUX" "$INITRD" "$GUEST_CMDLINE nimbus.test=info" 1
	info boot-pvh "rc=$R_RC boot-to-userspace=${R_BOOT}s"
	need_userspace boot-pvh || return 0
	if [ "$R_RC" != 0 ]; then
		fail boot-pvh "VMM exit status $R_RC" "$R_OUT"
	else
		pass boot-pvh
	fi
}

case_reboot()
{
	# The kernel's default reboot (ACPI reset, then keyboard controller,
	# BIOS real-mode restart...) races with a QEMU reset: with QEMU 7.2 as
	# L2 VMM 4 of 11 reboots ended in "KVM internal error ... emulation
	# failure"; a triple fault (reboot=t) passed 16 of 16.  Nimbus gets the
	# default path, the one real guests take.
	extra=""
	[ "$L2_VMM" = qemu ] && extra="reboot=t"
	l2_run reboot "$BZIMAGE" "$INITRD" \
		"$GUEST_CMDLINE $extra nimbus.test=reboot" 1 'NIMBUS-GUEST: BOOT' 2
	n=$(grep -c 'NIMBUS-GUEST: BOOT' "$R_OUT" || true)
	info reboot "$n boots seen (rc=$R_RC)"
	if crash_seen "$R_OUT"; then
		fail reboot "VMM crashed or KVM error" "$R_OUT"
	elif [ "$n" -ge 2 ]; then
		pass reboot
	else
		fail reboot "$n BOOT markers, want 2" "$R_OUT"
	fi
}

# bad_kernel CASE KERNEL: the VMM must exit non-zero, with an error line,
# without crashing and without hanging.
bad_kernel()
{
	l2_run "$1" "$2" "$INITRD" "$GUEST_CMDLINE" 1
	# Nimbus reports bad user input in one line naming the file.
	case $L2_VMM in
	nimbus) err="^nimbus: .*$2" ;;
	*) err='[Kk]ernel' ;;
	esac
	case $R_RC in
	0) fail "$1" "VMM exit status 0" "$R_OUT" ;;
	timeout | stopped) fail "$1" "VMM did not exit" "$R_OUT" ;;
	*)
		if [ "$R_RC" -ge 128 ] || crash_seen "$R_OUT"; then
			fail "$1" "VMM crashed (status $R_RC)" "$R_OUT"
		elif ! tr -d '\r' <"$R_OUT" | grep -q "$err"; then
			fail "$1" "no error line matching '$err'" "$R_OUT"
		else
			info "$1" "rc=$R_RC: $(grep "$err" "$R_OUT" | head -n 1)"
			pass "$1"
		fi
		;;
	esac
}

case_missing_kernel()
{
	bad_kernel missing-kernel "$P/guest/no-such-kernel"
}

case_corrupt_kernel()
{
	bad_kernel corrupt-kernel "$P/guest/corrupt-kernel"
}

case_smp_boot()
{
	info_boot info-smp "$BZIMAGE" 2 smp-boot
	need_userspace smp-boot || return 0
	if [ "$R_RC" = 0 ]; then
		pass smp-boot
	else
		fail smp-boot "VMM exit status $R_RC" "$R_OUT"
	fi
}

case_smp_cpu_count()
{
	info_boot info-smp "$BZIMAGE" 2 smp-cpu-count
	need_userspace smp-cpu-count || return 0
	n=$(guest_val "$R_OUT" NCPUS)
	if [ "$n" = 2 ]; then
		pass smp-cpu-count
	else
		fail smp-cpu-count "guest sees '${n}' CPUs, want 2" "$R_OUT"
	fi
}

case_smp_pvh()
{
	info_boot info-smp-pvh "$VMLINUX" 2 smp-pvh
	need_userspace smp-pvh || return 0
	n=$(guest_val "$R_OUT" NCPUS)
	if [ "$R_RC" != 0 ]; then
		fail smp-pvh "VMM exit status $R_RC" "$R_OUT"
	elif [ "$n" != 2 ]; then
		fail smp-pvh "guest sees '${n}' CPUs, want 2" "$R_OUT"
	else
		pass smp-pvh
	fi
}

# --- storage cases ---------------------------------------------------------
# storage_setup CASE: load virtio_pci + virtio_blk in L1, mount the carrier
# disk (serial nimbus-e2e-images) on $IMAGES once and read its manifest;
# fails CASE when there is none (not run through run-e2e.sh).
storage_setup()
{
	if [ ! -f "$IMAGES/manifest.env" ]; then
		# shellcheck disable=SC2013 # one module name a line
		for m in $(cat /lib/modules/virtio/order 2>/dev/null); do
			[ -d "/sys/module/$m" ] ||
				insmod "/lib/modules/virtio/$m.ko" 2>/dev/null || true
		done
		dev=""
		i=0
		while [ $i -lt 50 ]; do
			for b in /sys/block/vd*; do
				[ "$(cat "$b/serial" 2>/dev/null)" = nimbus-e2e-images ] &&
					dev=/dev/${b##*/}
			done
			[ -n "$dev" ] && [ -b "$dev" ] && break
			dev=""
			sleep 0.1
			i=$((i + 1))
		done
		if [ -z "$dev" ]; then
			fail "$1" "no storage disk in L1 (run it through run-e2e.sh)"
			return 1
		fi
		mkdir -p "$IMAGES"
		if ! mount -t ext4 "$dev" "$IMAGES"; then
			fail "$1" "cannot mount $dev on $IMAGES"
			return 1
		fi
	fi
	if [ ! -f "$IMAGES/manifest.env" ]; then
		fail "$1" "$IMAGES/manifest.env missing"
		return 1
	fi
	# shellcheck disable=SC1091 # written by build-rootfs.sh
	. "$IMAGES/manifest.env"
}

# storage_run TAG TEST CASE [STOP_PATTERN]: boot the rootfs image from
# /dev/vda with nimbus.test=TEST, virtio console and rng, and the disks of
# $L2_DISKS after the rootfs (then cleared), bounded by $STORAGE_TIMEOUT;
# l2_run's R_* results.
storage_run()
{
	L2_VIRTIO=1
	L2_DISKS="$IMAGES/rootfs.img:ro $L2_DISKS"
	saved_timeout=$L2_TIMEOUT
	L2_TIMEOUT=$STORAGE_TIMEOUT
	if [ -n "${4:-}" ]; then
		l2_run "$1" "$BZIMAGE" "$INITRD" "$STORAGE_CMDLINE nimbus.test=$2" 1 \
			"$4" 1
	else
		l2_run "$1" "$BZIMAGE" "$INITRD" "$STORAGE_CMDLINE nimbus.test=$2" 1
	fi
	L2_TIMEOUT=$saved_timeout
	L2_VIRTIO=0
	L2_DISKS=""
	m=$(tr -d '\r' <"$R_OUT" | sed -n 's/^.*NIMBUS-GUEST: VIRTIO-MODULES //p' | head -n 1)
	[ -z "$m" ] || info "$3" "guest uptime: $m"
}

# storage_boot CASE: the boot shared by root-vda, hvc0, hwrng, disk-ro and
# disk-write (disks: rootfs, data-ro readonly, data-rw), once per L1.
storage_boot()
{
	storage_setup "$1" || return 1
	if [ -f "$W/storage.done" ]; then
		# shellcheck disable=SC1091 # written below
		. "$W/storage.done"
		return 0
	fi
	L2_DISKS="$IMAGES/data-ro.img:ro $IMAGES/data-rw.img"
	storage_run storage storage "$1"
	info "$1" "storage boot: vmm=$L2_VMM rc=$R_RC boot-to-userspace=${R_BOOT}s"
	cat >"$W/storage.done" <<EOF
R_RC='$R_RC' R_BOOT='$R_BOOT' R_OUT='$R_OUT'
EOF
}

# need_guest CASE KEY: the guest printed "NIMBUS-GUEST: KEY"; else fail.
need_guest()
{
	if ! tr -d '\r' <"$R_OUT" | grep -q "NIMBUS-GUEST: $2"; then
		fail "$1" "no '$2' line from the guest (vmm rc=$R_RC)" "$R_OUT"
		return 1
	fi
}

# img_cat IMG PATH: the file PATH inside the ext4 image IMG (debugfs).
img_cat()
{
	debugfs -R "cat $2" "$1" 2>/dev/null
}

sha_of() { sha256sum | cut -d' ' -f1; }

case_root_vda()
{
	storage_boot root-vda || return 0
	need_guest root-vda ROOTFS-INIT || return 0
	r=$(guest_val "$R_OUT" ROOT)
	v=$(guest_val "$R_OUT" DEBIAN)
	info root-vda "root=$r ($(guest_val "$R_OUT" ROOT-OPTS)) debian $v"
	if crash_seen "$R_OUT"; then
		fail root-vda "VMM crashed or KVM error" "$R_OUT"
	elif [ "$r" != /dev/vda ]; then
		fail root-vda "root is '$r', want /dev/vda" "$R_OUT"
	elif [ "$v" != "$DEBIAN_VERSION" ]; then
		fail root-vda "debian_version '$v', want $DEBIAN_VERSION" "$R_OUT"
	else
		pass root-vda
	fi
}

case_hvc0()
{
	storage_boot hvc0 || return 0
	need_guest hvc0 ROOTFS-INIT || return 0
	d=$(guest_val "$R_OUT" HVC0-DEV)
	a=$(guest_val "$R_OUT" HVC0-ACTIVE)
	info hvc0 "/dev/hvc0: $d, active consoles: $a"
	if [ "$d" != char ]; then
		fail hvc0 "/dev/hvc0 is '$d'" "$R_OUT"
	elif ! echo ",$a," | grep -q ',hvc0,'; then
		fail hvc0 "hvc0 is not an active console ('$a')" "$R_OUT"
	elif need_guest hvc0 VIA-CONSOLE && need_guest hvc0 VIA-KMSG; then
		pass hvc0
	fi
}

case_hwrng()
{
	storage_boot hwrng || return 0
	need_guest hwrng ROOTFS-INIT || return 0
	d=$(guest_val "$R_OUT" HWRNG-DEV)
	a=$(guest_val "$R_OUT" HWRNG-A)
	b=$(guest_val "$R_OUT" HWRNG-B)
	info hwrng "/dev/hwrng: $d, rng_current $(guest_val "$R_OUT" HWRNG-CURRENT)"
	if [ "$d" != char ]; then
		fail hwrng "/dev/hwrng is '$d'" "$R_OUT"
	elif [ ${#a} != 128 ] || [ ${#b} != 128 ]; then
		fail hwrng "short reads (${#a} and ${#b} hex digits of 128)" "$R_OUT"
	elif [ "$a" = "$b" ]; then
		fail hwrng "two reads returned the same 64 bytes" "$R_OUT"
	else
		pass hwrng
	fi
}

case_disk_ro()
{
	storage_boot disk-ro || return 0
	need_guest disk-ro RO-DD || return 0
	flag=$(guest_val "$R_OUT" RO-FLAG)
	mnt=$(guest_val "$R_OUT" RO-MOUNT)
	touch_r=$(guest_val "$R_OUT" RO-TOUCH)
	remount=$(guest_val "$R_OUT" RO-REMOUNT)
	dd_r=$(guest_val "$R_OUT" RO-DD)
	info disk-ro "ro=$flag mount=$mnt touch=$touch_r remount-rw=$remount dd=$dd_r"
	want_marker=$(echo "$RO_MARKER" | tr ' ' _)
	img_sha=$(sha_of <"$IMAGES/data-ro.img")
	if [ "$flag" != 1 ]; then
		fail disk-ro "guest sees ro=$flag on /dev/vdb, want 1" "$R_OUT"
	elif [ "$mnt" != ok ]; then
		fail disk-ro "read-only mount: $mnt" "$R_OUT"
	elif [ "$(guest_val "$R_OUT" RO-MARKER)" != "$want_marker" ]; then
		fail disk-ro "marker file differs" "$R_OUT"
	elif [ "$(guest_val "$R_OUT" RO-BLOB)" != "$RO_BLOB_SHA" ]; then
		fail disk-ro "blob.bin read back with a different sha256" "$R_OUT"
	elif [ "$touch_r" = ok ] || [ "$remount" = ok ] || [ "$dd_r" = ok ]; then
		fail disk-ro "a write succeeded" "$R_OUT"
	elif [ "$img_sha" != "$RO_IMG_SHA" ]; then
		fail disk-ro "data-ro.img changed"
	else
		pass disk-ro
	fi
}

case_disk_write()
{
	storage_boot disk-write || return 0
	need_guest disk-write RW-UMOUNT || return 0
	img=$IMAGES/data-rw.img
	want=$(guest_val "$R_OUT" RW-SHA)
	token=$(guest_val "$R_OUT" RW-TOKEN)
	got=$(img_cat "$img" /written.bin | sha_of)
	first=$(img_cat "$img" /written.bin | head -n 1)
	fsck_rc=0
	e2fsck -fn "$img" >"$W/disk-write.fsck" 2>&1 || fsck_rc=$?
	info disk-write "guest sha256 $want, image sha256 $got, e2fsck -fn rc=$fsck_rc"
	if [ "$(guest_val "$R_OUT" RW-FLAG)" != 0 ] ||
		[ "$(guest_val "$R_OUT" RW-MOUNT)" != ok ] ||
		[ "$(guest_val "$R_OUT" RW-UMOUNT)" != ok ]; then
		fail disk-write "guest could not mount, write or unmount /dev/vdc" "$R_OUT"
	elif [ "$R_RC" != 0 ]; then
		fail disk-write "VMM exit status $R_RC after the power-off" "$R_OUT"
	elif [ -z "$want" ] || [ "$got" != "$want" ]; then
		fail disk-write "written.bin in the image differs from the guest's" "$R_OUT"
	elif [ "$first" != "nimbus-e2e disk-write $token" ]; then
		fail disk-write "first line '$first' is not the guest's"
	elif [ "$fsck_rc" != 0 ]; then
		fail disk-write "e2fsck -fn found errors (rc $fsck_rc)" "$W/disk-write.fsck"
	else
		pass disk-write
	fi
}

case_fio_verify()
{
	storage_setup fio-verify || return 0
	L2_DISKS="$IMAGES/scratch.img"
	storage_run fio fio fio-verify
	info fio-verify "vmm=$L2_VMM rc=$R_RC boot-to-userspace=${R_BOOT}s fio $(guest_val "$R_OUT" FIO-SECS)s"
	need_guest fio-verify FIO-RC || return 0
	tr -d '\r' <"$R_OUT" | sed -n 's/^.*NIMBUS-GUEST: FIO| *//p' |
		head -n 6 | while read -r l; do info fio-verify "$l"; done
	rc=$(guest_val "$R_OUT" FIO-RC)
	errs=$(guest_val "$R_OUT" FIO-ERRS)
	if [ "$rc" != 0 ]; then
		fail fio-verify "fio exit status $rc (err= $errs)" "$R_OUT"
	elif [ "$errs" != "0," ]; then
		fail fio-verify "fio job errors: $errs" "$R_OUT"
	elif [ "$R_RC" != 0 ]; then
		fail fio-verify "VMM exit status $R_RC" "$R_OUT"
	else
		pass fio-verify
	fi
}

# Not a test (group bench, never in the default set): runs fio for
# bench/storage.sh and reports the figures as INFO lines.
# fio_bench NAME: the fio-bench guest run, reported under NAME.
fio_bench()
{
	storage_setup "$1" || return 0
	L2_DISKS="$IMAGES/scratch.img:direct"
	storage_run fiobench fiobench "$1"
	need_guest "$1" FIOBENCH-RC || return 0
	tr -d '\r' <"$R_OUT" | sed -n 's/^.*NIMBUS-GUEST: FIOBENCH //p' |
		while read -r job rbw riops wbw wiops; do
			info "$1" "$job rbw=$rbw riops=$riops wbw=$wbw wiops=$wiops"
		done
	if [ "$(guest_val "$R_OUT" FIOBENCH-RC)" = 0 ] && [ "$R_RC" = 0 ]; then
		pass "$1"
	else
		fail "$1" "fio or VMM failed (VMM rc=$R_RC)" "$R_OUT"
	fi
}

case_fio_bench() { fio_bench fio-bench; }

# The same with Nimbus's synchronous engine, for the engine comparison.
case_fio_bench_sync()
{
	if [ "$L2_VMM" != nimbus ]; then
		skip fio-bench-sync "Nimbus's io_engine=sync only"
		return 0
	fi
	L2_DISK_OPTS=",io_engine=sync" fio_bench fio-bench-sync
}

case_kill_survival()
{
	storage_setup kill-survival || return 0
	img=$IMAGES/kill.img
	L2_DISKS="$img"
	storage_run kill kill kill-survival 'NIMBUS-GUEST: KILL-READY'
	want=$(guest_val "$R_OUT" "KILL-READY SHA")
	info kill-survival "vmm=$L2_VMM rc=$R_RC boot-to-userspace=${R_BOOT}s"
	if [ "$R_RC" != stopped ] || [ -z "$want" ]; then
		fail kill-survival "guest never reported KILL-READY (rc=$R_RC)" "$R_OUT"
		return 0
	fi
	left=$(pidof qemu-system-x86_64 nimbus || true)
	if [ -n "$left" ]; then
		fail kill-survival "VMM still running after SIGKILL (pid $left)"
		return 0
	fi
	# What a crash leaves: replay the journal, then read the file.
	fsck_rc=0
	e2fsck -fy "$img" >"$W/kill.fsck" 2>&1 || fsck_rc=$?
	got=$(img_cat "$img" /survive.bin | sha_of)
	info kill-survival "SIGKILL after KILL-READY; e2fsck -fy rc=$fsck_rc; sha256 guest $want, image $got"
	if [ "$fsck_rc" -gt 1 ]; then
		fail kill-survival "e2fsck -fy could not repair the image (rc $fsck_rc)" "$W/kill.fsck"
	elif [ "$got" != "$want" ]; then
		fail kill-survival "survive.bin lost or different after SIGKILL" "$W/kill.fsck"
	else
		pass kill-survival
	fi
}

# --- entry points ----------------------------------------------------------
list_cases()
{
	case_table | awk -F'\t' -v g="${1:-}" '
		g == "all" || $2 == g || (g == "" && ($2 == "up" || $2 == "smp")) {
			print $1 }'
}

run_cases()
{
	mkdir -p "$W"
	cases=${E2E_CASES:-$(list_cases)}
	# shellcheck disable=SC2086 # normalise blanks
	marker "PLAN $(echo $cases)"
	for c in $cases; do
		if ! list_cases all | grep -qx "$c"; then
			fail "$c" "no such case"
			continue
		fi
		marker "START $c"
		# A case reports its own verdict; a non-zero return here is a
		# bug in the case itself (errexit is off inside the condition).
		if ! "case_$(echo "$c" | tr - _)"; then
			fail "$c" "case script error"
		fi
	done
	return "$FAILS"
}

run_demo()
{
	kernel=$BZIMAGE
	cmdline="$GUEST_CMDLINE"
	interactive=${E2E_INTERACTIVE:-}
	if [ -z "$interactive" ]; then
		interactive=0
		[ -t 0 ] && interactive=1
	fi
	if [ "$interactive" = 1 ]; then
		cmdline="$cmdline nimbus.shell=1"
		echo "Nimbus demo: $L2_VMM boots Debian's cloud kernel; 'exit'" \
			"in the guest shell powers off (^A x leaves the emulator)."
	else
		cmdline="$cmdline nimbus.test=info"
	fi
	export L2_INTERACTIVE=1 L2_TIMEOUT=0
	rc=0
	(l2_vmm_boot "$kernel" "$INITRD" "$cmdline" 1 "$GUEST_MEM_MB") || rc=$?
	marker "INFO demo $L2_VMM exit status $rc"
	return "$rc"
}

# Case fragments: every cases-<area>.sh next to this file adds its
# case_table_<area> to CASE_TABLES and defines its case_<name> functions,
# with every helper above at hand.
CASE_TABLES=""
for f in "$(dirname "$0")"/cases-*.sh; do
	# shellcheck disable=SC1090 # the fragments are found at run time
	[ -f "$f" ] && . "$f"
done

case ${1:-run} in
run) run_cases ;;
demo) run_demo ;;
list) list_cases "${2:-}" ;;
groups) case_table | cut -f2 | sort -u ;;
*)
	echo "usage: cases.sh run|demo|groups|list [GROUP|all]" >&2
	exit 2
	;;
esac
