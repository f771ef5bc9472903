# SPDX-License-Identifier: Apache-2.0
# Guest side of the api cases (tests/e2e/cases-api.sh), sourced by the
# rootfs's /sbin/nimbus-test (bash; say and poweroff_now come from it).
#   nimbus.test=api        load the modules L1 put on /dev/vdb (a tar
#                          archive: button, evdev, pvpanic), start acpid
#                          with a power-button action that syncs and
#                          powers off, print API-READY, then TICK n every
#                          half second, each after a direct read of
#                          /dev/vda (I/O for vm.counters), until the power
#                          button ends it
#   nimbus.test=api-panic  load the modules, then panic (sysrq c): the
#                          pvpanic device reports it to the VMM

# api_count GLOB...: how many of the paths exist.
api_count()
{
	local n=0 p
	for p in "$@"; do
		[ -e "$p" ] && n=$((n + 1))
	done
	echo "$n"
}

# api_ged_irqs: interrupts the GED has raised so far (/proc/interrupts).
api_ged_irqs()
{
	awk '/ACPI:Ged/ { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i }
	     END { print s + 0 }' /proc/interrupts
}

# api_modules: insmod what /dev/vdb carries; API-MODULES, API-BUTTON
# (the PNP0C0C device has its driver), API-GED (the ACPI0013 GED has its
# driver), API-PVPANIC (a pvpanic PCI function is bound).
api_modules()
{
	local d=/tmp/api-mods m
	mkdir -p "$d"
	if ! tar -xf /dev/vdb -C "$d" 2>/dev/null; then
		say "API-MODULES none"
		return 1
	fi
	for m in evdev button pvpanic pvpanic-pci; do
		[ -f "$d/$m.ko" ] && insmod "$d/$m.ko" 2>/dev/null
	done
	say "API-MODULES $(cd "$d" && echo *.ko)"
	say "API-BUTTON $(api_count /sys/bus/acpi/drivers/button/PNP0C0C:*)"
	say "API-GED $(api_count /sys/bus/platform/drivers/acpi-ged/ACPI0013:*)"
	say "API-PVPANIC $(api_count /sys/bus/pci/drivers/pvpanic-pci/0000:*)"
}

# api_acpid: Debian's acpid, with one rule: the power button syncs and
# powers off (no systemd here to ask for a shutdown).
api_acpid()
{
	mkdir -p /tmp/acpi/events
	# The TICK loop (PID 1) stops its disk reads first: a power-off
	# racing with guest I/O on /dev/vda can hang (see poweroff_now).
	cat >/tmp/acpi/powerbtn.sh <<'EOS'
#!/bin/bash
echo "NIMBUS-GUEST: POWER-BUTTON $*" >/dev/console
: >/tmp/api-stop
for _ in $(seq 50); do
	[ -e /tmp/api-stopped ] && break
	sleep 0.1
done
sync
# Kernel messages of the power-off path on the console (diagnostics).
echo 1 >/sys/module/kernel/parameters/initcall_debug
echo 8 >/proc/sys/kernel/printk
echo "NIMBUS-GUEST: POWERING-OFF" >/dev/console
# SYS_reboot, LINUX_REBOOT_MAGIC1/2, LINUX_REBOOT_CMD_POWER_OFF
perl -e 'syscall(169, 0xfee1dead, 672274793, 0x4321fedc, 0) == -1 and
	print "NIMBUS-GUEST: POWEROFF-FAILED $!\n"' >/dev/console 2>&1
EOS
	chmod +x /tmp/acpi/powerbtn.sh
	printf 'event=button/power.*\naction=/tmp/acpi/powerbtn.sh %%e\n' \
		>/tmp/acpi/events/powerbtn
	if ! command -v acpid >/dev/null; then
		say "API-ACPID missing"
		return 1
	fi
	# Foreground with debug output on the console: the log shows every
	# event acpid hears and every action it runs.
	acpid -f -d -c /tmp/acpi/events -s /tmp/acpid.socket \
		-p /tmp/acpid.pid </dev/null >/dev/console 2>&1 &
	say "API-ACPID started"
}

test_api()
{
	local n=0
	api_modules
	api_acpid
	say API-READY
	while [ ! -e /tmp/api-stop ]; do
		n=$((n + 1))
		say "TICK $n GED-IRQS=$(api_ged_irqs)"
		dd if=/dev/vda of=/dev/null bs=64k count=4 \
			skip=$((n * 4 % 4000)) iflag=direct 2>/dev/null
		sleep 0.5
	done
	say "TICKS-STOPPED"
	: >/tmp/api-stopped
	# PID 1 must not return: acpid's action powers the guest off.
	while :; do sleep 60; done
}

test_api_panic()
{
	api_modules
	say PANIC-NOW
	echo 1 >/proc/sys/kernel/sysrq
	echo c >/proc/sysrq-trigger
	sleep 30
}
