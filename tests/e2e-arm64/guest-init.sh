#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# /init of the arm64 L2 guest (busybox): prints NIMBUS-GUEST: lines on the
# PL011 console and ends with poweroff -f (PSCI SYSTEM_OFF).
#   nimbus.test=info      NCPUS= MEMKB= RTC= UART= DISK= HWRNG= DATE=
#   nimbus.test=reboot    BOOT, then reboot -f (PSCI SYSTEM_RESET)
#   nimbus.test=powerkey  KEY-READY, then waits for KEY_POWER from
#                         gpio-keys (PL061 line 3): POWER-KEY, power off
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "NIMBUS-GUEST: USERSPACE"

test=""
for a in $(cat /proc/cmdline); do
	case $a in
	nimbus.test=*) test=${a#nimbus.test=} ;;
	esac
done

load() { for m in "$@"; do insmod "/lib/modules/$m.ko" 2>/dev/null; done; }

wait_node()
{
	i=0
	while [ ! -e "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e "$1" ]
}

count_cpus()
{
	n=0
	old_ifs=$IFS
	IFS=,
	for r in $(cat /sys/devices/system/cpu/online); do
		case $r in
		*-*) n=$((n + ${r#*-} - ${r%-*} + 1)) ;;
		?*) n=$((n + 1)) ;;
		esac
	done
	IFS=$old_ifs
	echo "$n"
}

test_info()
{
	echo "NIMBUS-GUEST: NCPUS=$(count_cpus)"
	echo "NIMBUS-GUEST: MEMKB=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
	dmesg >/tmp/dmesg
	if grep -q 'rtc-pl031.*registered as rtc0' /tmp/dmesg; then
		echo "NIMBUS-GUEST: RTC=ok"
	else
		echo "NIMBUS-GUEST: RTC=missing"
	fi
	if grep -q 'ttyAMA0 at MMIO' /tmp/dmesg; then
		echo "NIMBUS-GUEST: UART=pl011"
	else
		echo "NIMBUS-GUEST: UART=missing"
	fi
	for m in $(cat /lib/modules/order); do
		insmod "/lib/modules/$m.ko" 2>/dev/null
	done
	if wait_node /dev/vda; then
		echo "NIMBUS-GUEST: DISK=$(sha256sum /dev/vda | cut -d' ' -f1)"
	else
		echo "NIMBUS-GUEST: DISK=missing"
	fi
	cur=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
	if wait_node /dev/hwrng; then
		a=$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')
		b=$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')
		if [ ${#a} = 64 ] && [ "$a" != "$b" ]; then
			echo "NIMBUS-GUEST: HWRNG=ok:$cur"
		else
			echo "NIMBUS-GUEST: HWRNG=bad:$cur:${#a}"
		fi
	else
		echo "NIMBUS-GUEST: HWRNG=missing"
	fi
	# Arch-timer interrupts taken per CPU ("11: N0 N1 GICv3 27 ...").
	echo "NIMBUS-GUEST: TIMER-IRQS=$(awk '/arch_timer/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) printf "%s%s", (i > 2 ? "," : ""), $i }' /proc/interrupts)"
	# Last, so that the host reads it as close as possible to now.
	echo "NIMBUS-GUEST: DATE=$(date +%s)"
}

# The gpio-keys input device: its event node.
key_dev()
{
	for e in /sys/class/input/event*; do
		[ -e "$e" ] || continue
		if grep -q gpio "$e/device/name" 2>/dev/null; then
			echo "/dev/input/${e##*/}"
			return 0
		fi
	done
	return 1
}

test_powerkey()
{
	load evdev gpio_keys
	i=0
	while ! dev=$(key_dev) && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$dev" ] || ! wait_node "$dev"; then
		echo "NIMBUS-GUEST: NO-KEY-DEVICE"
		return
	fi
	# struct input_event on arm64: 16-byte time, u16 type, u16 code,
	# s32 value.  Wait for EV_KEY (1) KEY_POWER (116) pressed (1).
	# One open file for the whole wait: events queue per open.
	exec 3<"$dev"
	echo "NIMBUS-GUEST: KEY-READY $dev"
	while :; do
		ev=$(dd bs=24 count=1 <&3 2>/dev/null | od -An -v -tu2)
		[ -n "$ev" ] || break
		# shellcheck disable=SC2086 # split into the 12 u16 words
		set -- $ev
		if [ "$9" = 1 ] && [ "${10}" = 116 ] && [ "${11}" = 1 ]; then
			echo "NIMBUS-GUEST: POWER-KEY"
			break
		fi
	done
	exec 3<&-
}

case $test in
info) test_info ;;
reboot)
	echo "NIMBUS-GUEST: BOOT"
	reboot -f
	;;
powerkey) test_powerkey ;;
esac
echo "NIMBUS-GUEST: POWEROFF"
poweroff -f
sleep 10
