#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the L2 guest's busybox initramfs: $O/e2e/guest/initramfs.cpio.gz.
#
# The guest's /init reads the kernel command line:
#   nimbus.test=info    print NIMBUS-GUEST: NCPUS= MEMKB= UART= RTC=
#                       ACPI-ERRORS= DATE= lines, then power off
#   nimbus.test=reboot  print NIMBUS-GUEST: BOOT, then reboot -f
#   nimbus.shell=1      interactive shell on the console (after the test)
# It always prints NIMBUS-GUEST: USERSPACE first and ends with poweroff -f.
# Cached on the busybox binary and this script.
set -eu
. "$(dirname "$0")/lib.sh"

e2e_need_cmd cpio gzip readelf
bb=$(e2e_busybox)
gdir=$E2E_DIR/guest
out=$gdir/initramfs.cpio.gz
key=$(e2e_hash "$bb" "$0" "$E2E_SRC/lib.sh")
if e2e_stamp_ok "$gdir/.stamp" "$key" && [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

root=$gdir/root
rm -rf "$root"
mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/root"
e2e_bb_populate "$bb" "$root"

cat >"$root/init" <<'EOF'
#!/bin/sh
# Nimbus e2e guest init (busybox).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "NIMBUS-GUEST: USERSPACE"

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

test=""
shell=0
for a in $(cat /proc/cmdline); do
	case $a in
	nimbus.test=*) test=${a#nimbus.test=} ;;
	nimbus.shell=1) shell=1 ;;
	esac
done

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
