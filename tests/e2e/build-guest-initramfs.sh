#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the L2 guest's busybox initramfs: $O/e2e/guest/initramfs.cpio.gz.
#
# The guest's /init reads the kernel command line:
#   nimbus.test=info    print NIMBUS-GUEST: NCPUS= MEMKB= UART= RTC=
#                       ACPI-ERRORS= DATE= lines, then power off
#   nimbus.test=reboot  print NIMBUS-GUEST: BOOT, then reboot -f
#   nimbus.shell=1      interactive shell on the console (after the test)
# It prints NIMBUS-GUEST: USERSPACE first and ends with poweroff -f.
#
# Virtio guests: with root= or console=hvc* on the command line (or
# nimbus.virtio=1), /init first insmods the virtio modules it carries in
# /lib/modules/virtio (virtio_pci, virtio_blk, virtio_console, virtio-rng
# and their dependencies, in dependency order; the cloud kernel has them
# as modules), moves its output to /dev/hvc0 when the last console= is
# hvc0 (no console exists before the module is loaded), prints
# NIMBUS-GUEST: VIRTIO-MODULES (uptimes at /init start and after the
# modules), then USERSPACE.  With root=DEV it mounts DEV (rootfstype=, default ext4; ro
# unless rw is given) and switch_roots to init= (default /sbin/init).
# Without any of these the boot is exactly as before (no module loaded).
# Cached on the busybox binary, the modules and this script.
set -eu
. "$(dirname "$0")/lib.sh"

e2e_need_cmd cpio gzip readelf
e2e_load_kernel_env
bb=$(e2e_busybox)
gdir=$E2E_DIR/guest
out=$gdir/initramfs.cpio.gz
mods=$(e2e_mod_order "$MODULES_DIR" virtio_pci virtio_blk virtio_console \
	virtio-rng)
# shellcheck disable=SC2086 # one path per word
key=$(e2e_hash "$bb" "$0" "$E2E_SRC/lib.sh" $mods)
if e2e_stamp_ok "$gdir/.stamp" "$key" && [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

root=$gdir/root
rm -rf "$root"
mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/root" \
	"$root/lib/modules/virtio" "$root/newroot"
e2e_bb_populate "$bb" "$root"
for m in $mods; do
	cp "$m" "$root/lib/modules/virtio/"
	basename "$m" .ko >>"$root/lib/modules/virtio/order"
done

cat >"$root/init" <<'EOF'
#!/bin/sh
# Nimbus e2e guest init (busybox).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

test=""
shell=0
virtio=0
root=""
rootfstype=ext4
rootmode=ro
init=/sbin/init
con=""
for a in $(cat /proc/cmdline); do
	case $a in
	nimbus.test=*) test=${a#nimbus.test=} ;;
	nimbus.shell=1) shell=1 ;;
	nimbus.virtio=1) virtio=1 ;;
	root=*) root=${a#root=} virtio=1 ;;
	rootfstype=*) rootfstype=${a#rootfstype=} ;;
	ro | rw) rootmode=$a ;;
	init=*) init=${a#init=} ;;
	console=*) con=${a#console=} ;;
	esac
done
case $con in
hvc*) virtio=1 ;;
esac

# wait_node PATH: up to 10 s for a device node to appear.
wait_node()
{
	i=0
	while [ ! -e "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

if [ "$virtio" = 1 ]; then
	read -r t_init _ </proc/uptime
	for m in $(cat /lib/modules/virtio/order); do
		insmod "/lib/modules/virtio/$m.ko" ||
			echo "NIMBUS-GUEST: INSMOD-FAILED $m" >/dev/kmsg
	done
	case $con in
	hvc*)
		# No console existed when the kernel started /init.
		if wait_node "/dev/${con%%,*}"; then
			exec <"/dev/${con%%,*}" >"/dev/${con%%,*}" 2>&1
		else
			echo "<2>NIMBUS-GUEST: NO-CONSOLE /dev/${con%%,*}" >/dev/kmsg
		fi
		;;
	esac
	read -r t_mod _ </proc/uptime
	echo "NIMBUS-GUEST: VIRTIO-MODULES init-at=$t_init loaded-at=$t_mod"
fi
echo "NIMBUS-GUEST: USERSPACE"

if [ -n "$root" ]; then
	if ! wait_node "$root"; then
		echo "NIMBUS-GUEST: ROOT-MISSING $root"
	elif ! mount -t "$rootfstype" -o "$rootmode" "$root" /newroot; then
		echo "NIMBUS-GUEST: ROOT-MOUNT-FAILED $root"
	elif [ ! -x "/newroot$init" ] && [ ! -L "/newroot$init" ]; then
		echo "NIMBUS-GUEST: ROOT-NO-INIT $init"
	else
		mount --move /dev /newroot/dev
		mount --move /proc /newroot/proc
		mount --move /sys /newroot/sys
		exec switch_root /newroot "$init"
	fi
	echo "NIMBUS-GUEST: POWEROFF"
	poweroff -f
	sleep 10
	echo o >/proc/sysrq-trigger
fi

count_cpus()
{
	n=0
	if [ -r /sys/devices/system/cpu/online ]; then
		old_ifs=$IFS
		IFS=,
		for r in $(cat /sys/devices/system/cpu/online); do
			case $r in
			*-*) n=$((n + ${r#*-} - ${r%-*} + 1)) ;;
			?*) n=$((n + 1)) ;;
			esac
		done
		IFS=$old_ifs
	else
		n=$(grep -c '^processor' /proc/cpuinfo)
	fi
	echo "$n"
}

test_info()
{
	echo "NIMBUS-GUEST: NCPUS=$(count_cpus)"
	echo "NIMBUS-GUEST: MEMKB=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
	dmesg >/tmp/dmesg
	uart=$(sed -n 's/.*ttyS0 at .* is a \([^ ]*\).*/\1/p' /tmp/dmesg | head -n 1)
	echo "NIMBUS-GUEST: UART=${uart:-none}"
	if grep -q 'rtc_cmos.*registered as rtc' /tmp/dmesg; then
		echo "NIMBUS-GUEST: RTC=ok"
	else
		echo "NIMBUS-GUEST: RTC=missing"
	fi
	grep -E 'ACPI Error|ACPI BIOS Error' /tmp/dmesg >/tmp/acpi-errors
	echo "NIMBUS-GUEST: ACPI-ERRORS=$(wc -l </tmp/acpi-errors)"
	head -n 3 /tmp/acpi-errors | sed 's/^/NIMBUS-GUEST: ACPI-ERROR-LINE /'
	# Last, so that the host reads it as close as possible to now.
	echo "NIMBUS-GUEST: DATE=$(date +%s)"
}

case $test in
"") ;;
info) test_info ;;
reboot)
	echo "NIMBUS-GUEST: BOOT"
	reboot -f
	;;
*) echo "NIMBUS-GUEST: UNKNOWN-TEST $test" ;;
esac

if [ "$shell" = 1 ]; then
	echo "Nimbus demo guest: $(uname -sr), $(count_cpus) CPU(s)," \
		"$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) kB." \
		"'exit' powers off."
	setsid cttyhack sh -l
fi
echo "NIMBUS-GUEST: POWEROFF"
poweroff -f
sleep 10
echo o >/proc/sysrq-trigger
EOF
chmod 755 "$root/init"
mkdir -p "$root/etc"
cat >"$root/etc/profile" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
PS1='guest# '
EOF

e2e_cpio "$root" "$gdir/main.cpio"
e2e_cpio_console "$gdir/console.cpio"
cat "$gdir/main.cpio" "$gdir/console.cpio" | gzip -9n >"$out.tmp"
mv "$out.tmp" "$out"
rm -f "$gdir/main.cpio" "$gdir/console.cpio"
e2e_stamp_write "$gdir/.stamp" "$key"
echo "$out"
