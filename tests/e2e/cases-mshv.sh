# SPDX-License-Identifier: Apache-2.0
# Case fragment (sourced by cases.sh in L1): the Linux payload booted by
# Nimbus on the MSHV plugin, whose /dev/mshv is the MSHV simulator
# (hv-mshv-sim.so: the plugin's objects plus tests/mshv-sim, which
# implements the /dev/mshv ABI on L1's KVM).  Every MMIO and port I/O
# access the guest makes outside the in-kernel LAPIC reaches the plugin as
# an MSHV intercept message and is completed by the plugin (MMIO through
# its instruction emulator); the simulator counts them and logs the
# totals when the partition closes, which mshv-intercepts reports.
# Group "up": a 1-vCPU guest, run with the initramfs guest of cases.sh.
#
# Environment: L2_MSHV_TIMEOUT (seconds for the boot, default 150: every
# exit costs more than on the KVM plugin).

CASE_TABLES="$CASE_TABLES case_table_mshv"

case_table_mshv()
{
	printf 'mshv-boot\tup\tMSHV plugin on the simulated /dev/mshv: 1 vCPU bzImage guest reaches userspace\n'
	printf 'mshv-poweroff\tup\tMSHV plugin (simulated): guest poweroff -f makes the VMM exit 0\n'
	printf 'mshv-intercepts\tup\tMSHV plugin (simulated): MMIO and port I/O intercepts of the boot went through the plugin\n'
}

# mshv_boot CASE: the info boot shared by the mshv-* cases (once per L1).
# Nimbus is reached through a wrapper first in PATH that adds --hv mshv,
# the simulator plugin and -v (the counters are an info line).
mshv_boot()
{
	if [ -f "$W/mshv.done" ]; then
		# shellcheck disable=SC1091 # written below
		. "$W/mshv.done"
		return 0
	fi
	sim=$P/plugins/hv-mshv-sim.so
	if [ ! -f "$sim" ]; then
		R_RC=nosim
		R_BOOT=-
		R_OUT=/dev/null
		echo "R_RC=nosim R_BOOT=- R_OUT=/dev/null" >"$W/mshv.done"
		return 0
	fi
	real=$(command -v nimbus)
	mkdir -p "$W/mshv-bin"
	cat >"$W/mshv-bin/nimbus" <<EOF
#!/bin/sh
exec "$real" --hv mshv --hv-plugin "$sim" -v "\$@"
EOF
	chmod 755 "$W/mshv-bin/nimbus"
	saved_path=$PATH
	saved_vmm=$L2_VMM
	saved_timeout=$L2_TIMEOUT
	PATH="$W/mshv-bin:$PATH"
	L2_VMM=nimbus
	L2_TIMEOUT=${L2_MSHV_TIMEOUT:-150}
	l2_run mshv "$BZIMAGE" "$INITRD" "$GUEST_CMDLINE nimbus.test=info" 1
	PATH=$saved_path
	L2_VMM=$saved_vmm
	L2_TIMEOUT=$saved_timeout
	info "$1" "mshv boot: rc=$R_RC boot-to-userspace=${R_BOOT}s"
	cat >"$W/mshv.done" <<EOF
R_RC='$R_RC' R_BOOT='$R_BOOT' R_OUT='$R_OUT'
EOF
}

# mshv_ready CASE: the shared boot happened; else the case is reported.
mshv_ready()
{
	mshv_boot "$1"
	if [ "$R_RC" = nosim ]; then
		fail "$1" "no hv-mshv-sim.so in $P/plugins (build it: make O=... test-bins)"
		return 1
	fi
	if crash_seen "$R_OUT"; then
		fail "$1" "VMM crashed or KVM error" "$R_OUT"
		return 1
	fi
	return 0
}

case_mshv_boot()
{
	mshv_ready mshv-boot || return 0
	need_userspace mshv-boot || return 0
	pass mshv-boot
}

case_mshv_poweroff()
{
	mshv_ready mshv-poweroff || return 0
	need_userspace mshv-poweroff || return 0
	if [ "$R_RC" = 0 ]; then
		pass mshv-poweroff
	else
		fail mshv-poweroff "VMM exit status $R_RC after poweroff -f" "$R_OUT"
	fi
}

case_mshv_intercepts()
{
	mshv_ready mshv-intercepts || return 0
	line=$(tr -d '\r' <"$R_OUT" |
		grep -m1 'mshv-sim: partition [0-9]*: [0-9]* MMIO intercepts' || true)
	more=$(tr -d '\r' <"$R_OUT" |
		grep -m1 'mshv-sim: partition [0-9]*: [0-9]* APIC EOI' || true)
	if [ -z "$line" ]; then
		fail mshv-intercepts "no simulator counter line (vmm rc=$R_RC)" "$R_OUT"
		return 0
	fi
	mmio=$(echo "$line" | sed -n 's/.*: \([0-9]*\) MMIO intercepts.*/\1/p')
	pio=$(echo "$line" | sed -n 's/.* and \([0-9]*\) port I\/O intercepts.*/\1/p')
	info mshv-intercepts "${line#*mshv-sim: }"
	[ -z "$more" ] || info mshv-intercepts "${more#*mshv-sim: }"
	# What the plugin or the simulator complained about during the boot.
	nwarn=$(tr -d '\r' <"$R_OUT" | grep -c '^nimbus\[[0-9.]*\] \(warn\|error\) ' || true)
	info mshv-intercepts "$nwarn warning/error lines from the VMM"
	tr -d '\r' <"$R_OUT" | grep '^nimbus\[[0-9.]*\] \(warn\|error\) ' |
		head -n 5 | while read -r l; do info mshv-intercepts "$l"; done
	if [ "${mmio:-0}" -gt 0 ] && [ "${pio:-0}" -gt 0 ]; then
		pass mshv-intercepts
	else
		fail mshv-intercepts "MMIO ${mmio:-?}, port I/O ${pio:-?}: want both above 0" "$R_OUT"
	fi
}
