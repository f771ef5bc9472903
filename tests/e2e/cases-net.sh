# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=sh
# Network and host-channel cases: virtio-net on TAPs (groups net,
# net-offload, net-mq), hybrid virtio-vsock (vsock) and virtio-pmem
# (pmem); net-bench (group bench) is bench/net.sh's.  Each group gets its
# own L1 and fits its default time budget (about 2-4 minutes each).
# Sourced by cases.sh inside L1 (busybox sh) with its helpers; the guest
# side is tests/e2e/guest-net.sh in the Debian rootfs, the helper both
# sides use is tests/guest-tools/nettest.c, and l1-net.list and
# rootfs-net.list bring in what they need.
#
# Every VMM runs in a network namespace of its own (unshare -n, held by a
# sleeping process), so the TAPs and their addresses never touch L1's
# network; host-side programs join it with nsenter.  NIC K (MAC ...:0K)
# is 10.0.K.2 in the guest and 10.0.K.1 on its TAP nbtK.
#
# The guest boots the rootfs of the storage group (root=/dev/vda, or
# /dev/pmem0) with an initramfs that also loads virtio_net, the vsock
# transport and virtio_pmem: the guest initramfs plus an archive built
# here from L1's copies of those modules (the same kernel).
#
# L2_VMM=qemu runs the net cases and the benchmark under QEMU (tap
# netdev, vhost=off) for comparison; vsock and pmem are Nimbus-only here.

NET_W=$W/net
NET_MEM_MB=512
# One guest run (VMM and host-side helpers).  A passing run takes 60-70 s;
# this stays well under the group's L1 timeout (300 s), so a stuck guest
# fails its case with the VMM's log instead of timing out the whole L1.
NET_TIMEOUT=${L2_NET_TIMEOUT:-200}
NET_SIZE=100M
NET_BYTES=104857600
NET_CMDLINE="console=hvc0 quiet loglevel=4 ro init=/sbin/nimbus-test"

case_table_net()
{
	cat <<'EOF'
net-ping	net	virtio-net: guest <-> host ping over a TAP (network namespace in L1)
net-tcp	net	virtio-net: 100 MB TCP each way at once, SHA-256 match, offloads on, 1 queue pair
net-two-nics	net	two NICs on two TAPs, each answers ping on its own subnet
net-tcp-nooffload	net-offload	virtio-net: 100 MB TCP each way at once with offload_csum/tso/ufo=off
net-tcp-mq	net-mq	virtio-net: 100 MB TCP each way at once on 2 queue pairs (ethtool -L combined 2)
vsock-echo	vsock	hybrid vsock: echo guest->host (PATH_PORT) and host->guest (CONNECT)
vsock-many	vsock	hybrid vsock: 1000 short host->guest connections, no fd leak
vsock-reboot	vsock	hybrid vsock: the guest reboots, host->guest echo works again
pmem-boot	pmem	virtio-pmem: boot the rootfs from root=/dev/pmem0 (discard_writes=on)
pmem-dax	pmem	virtio-pmem: ext4 -o dax=always written by the guest is in the file
pmem-discard	pmem	virtio-pmem: discard_writes=on leaves the backing file untouched
net-bench	bench	iperf3 both ways and 1-byte TCP request/response (bench/net.sh)
EOF
}
CASE_TABLES="$CASE_TABLES case_table_net"

# --- plumbing ----------------------------------------------------------------

# net_initrd: $NET_W/initrd, the guest initramfs plus the extra modules
# appended to its insmod order (a second cpio archive).
net_initrd()
{
	[ -f "$NET_W/initrd" ] && return 0
	ov=$NET_W/overlay
	rm -rf "$ov" "$NET_W/base"
	mkdir -p "$ov/lib/modules/virtio" "$NET_W/base"
	(cd "$NET_W/base" && zcat "$INITRD" | cpio -id lib/modules/virtio/order \
		>/dev/null 2>&1) || true
	cp "$NET_W/base/lib/modules/virtio/order" "$ov/lib/modules/virtio/order" ||
		return 1
	# shellcheck disable=SC2013 # one module name a line
	for m in $(cat /lib/modules/extra/order); do
		[ "$m" = tun ] && continue
		grep -qx "$m" "$ov/lib/modules/virtio/order" && continue
		cp "/lib/modules/extra/$m.ko" "$ov/lib/modules/virtio/" || return 1
		echo "$m" >>"$ov/lib/modules/virtio/order"
	done
	# Compressed: the kernel takes a raw cpio after a gzip'ed one only
	# at a 4-byte aligned offset, a gzip'ed one at any.
	(cd "$ov" && find . | cpio -o -H newc 2>/dev/null | gzip) \
		>"$NET_W/overlay.cpio.gz"
	cat "$INITRD" "$NET_W/overlay.cpio.gz" >"$NET_W/initrd"
}

# net_prepare CASE: disk set mounted, extra initramfs ready.
net_prepare()
{
	mkdir -p "$NET_W"
	storage_setup "$1" || return 1
	if ! net_initrd; then
		fail "$1" "cannot build the guest's module archive from /lib/modules/extra"
		return 1
	fi
}

net_ns_start()
{
	unshare -n sh -c 'ip link set lo up; exec sleep 100000' &
	NS_PID=$!
	sleep 0.3
}

nsx() { nsenter -t "$NS_PID" -n "$@"; }

net_ns_stop()
{
	kill "$NS_PID" 2>/dev/null || true
	wait "$NS_PID" 2>/dev/null || true
}

# net_nic_opts K QPAIRS OFFLOAD(on|off): the VMM options for NIC K.
net_nic_opts()
{
	mac=52:54:00:12:34:0$1
	case $L2_VMM in
	nimbus)
		o="--net tap=nbt$1,ip=10.0.$1.1,mask=255.255.255.0,mac=$mac"
		o="$o,num_queues=$(($2 * 2))"
		[ "$3" = off ] &&
			o="$o,offload_csum=off,offload_tso=off,offload_ufo=off"
		;;
	qemu)
		q="" mq=""
		if [ "$2" -gt 1 ]; then
			q=",queues=$2" mq=",mq=on,vectors=$(($2 * 2 + 2))"
		fi
		off=""
		[ "$3" = off ] &&
			off=",csum=off,guest_csum=off,gso=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off,host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off"
		o="-netdev tap,id=n$1,ifname=nbt$1,script=no,downscript=no,vhost=off$q"
		o="$o -device virtio-net-pci,netdev=n$1,mac=$mac,romfile=$mq$off"
		;;
	esac
	echo "$o"
}

# net_vmm_start TAG APPEND ROOT VMM-OPTS...: start the L2 VMM in the
# namespace, in the background (output $W/TAG.out, pid $NET_PID).  ROOT
# is a disk image for /dev/vda, or "" (the options bring the root).
net_vmm_start()
{
	tag=$1 append=$2 root=$3
	shift 3
	R_OUT=$W/$tag.out
	: >"$R_OUT"
	case $L2_VMM in
	nimbus)
		dev="--serial off --console tty --rng src=/dev/urandom"
		[ -n "$root" ] && dev="$dev --disk path=$root,readonly=on"
		# shellcheck disable=SC2086 # $dev and "$@" split on purpose
		NIMBUS_PLUGIN_PATH="$P/plugins" nsenter -t "$NS_PID" -n \
			timeout -s KILL "$NET_TIMEOUT" nimbus -v --kernel "$BZIMAGE" \
			--initramfs "$NET_W/initrd" --cmdline "$NET_CMDLINE $append" \
			--cpus boot="${NET_CPUS:-1}" --memory size="$NET_MEM_MB"M $dev "$@" \
			>"$R_OUT" 2>&1 </dev/null &
		;;
	qemu)
		dev="-chardev stdio,id=con0 -device virtio-serial-pci"
		dev="$dev -device virtconsole,chardev=con0"
		dev="$dev -object rng-random,id=rng0,filename=/dev/urandom"
		dev="$dev -device virtio-rng-pci,rng=rng0"
		[ -n "$root" ] && dev="$dev -drive file=$root,if=none,id=vd0,format=raw,readonly=on -device virtio-blk-pci,drive=vd0"
		# shellcheck disable=SC2086
		nsenter -t "$NS_PID" -n timeout -s KILL "$NET_TIMEOUT" \
			qemu-system-x86_64 -L "$P/qemu" -accel kvm \
			-M microvm,acpi=on,rtc=on,pit=on,pic=on,isa-serial=off,pcie=on \
			-cpu host -smp "${NET_CPUS:-1}" -m "$NET_MEM_MB" -nodefaults -no-user-config \
			-display none $dev "$@" -kernel "$BZIMAGE" \
			-initrd "$NET_W/initrd" -append "$NET_CMDLINE $append" \
			>"$R_OUT" 2>&1 </dev/null &
		;;
	esac
	NET_PID=$!
}

# QEMU does not configure its TAPs: give nbt0..nbt(N-1) their address.
net_qemu_taps()
{
	[ "$L2_VMM" = qemu ] || return 0
	k=0
	while [ "$k" -lt "$1" ]; do
		i=0
		while [ $i -lt 50 ] && ! nsx ip link show "nbt$k" >/dev/null 2>&1; do
			sleep 0.2
			i=$((i + 1))
		done
		nsx ip addr add "10.0.$k.1/24" dev "nbt$k"
		nsx ip link set "nbt$k" up
		k=$((k + 1))
	done
}

# net_wait_guest KEY SECS: wait for "NIMBUS-GUEST: KEY" (or the VMM's end).
net_wait_guest()
{
	i=0
	while [ $i -lt $(($2 * 5)) ]; do
		tr -d '\r' <"$R_OUT" | grep -q "NIMBUS-GUEST: $1" && return 0
		kill -0 "$NET_PID" 2>/dev/null || return 1
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# net_wait_count KEY N SECS: wait until "NIMBUS-GUEST: KEY" was seen N times.
net_wait_count()
{
	i=0
	while [ $i -lt $(($3 * 5)) ]; do
		[ "$(tr -d '\r' <"$R_OUT" | grep -c "NIMBUS-GUEST: $1")" -ge "$2" ] &&
			return 0
		kill -0 "$NET_PID" 2>/dev/null || return 1
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# net_vmm_wait: wait for the VMM to end; R_RC its status ("timeout" when
# it was killed by its timeout).
net_vmm_wait()
{
	R_RC=0
	wait "$NET_PID" || R_RC=$?
	[ "$R_RC" = 137 ] && R_RC=timeout
	return 0
}

# net_line OUT KEY: the rest of the first "NIMBUS-GUEST: KEY " line.
net_line()
{
	tr -d '\r' <"$1" | sed -n "s/^.*NIMBUS-GUEST: $2 //p" | head -n 1
}

# --- virtio-net ------------------------------------------------------------------

# net_run_once TAG NICS QPAIRS SIZE APPEND OPTS: one guest run in a fresh
# namespace, with the host's ends of the transfers when SIZE is given.
net_run_once()
{
	net_ns_start
	rxpid=""
	if [ -n "$4" ]; then
		nsx env NETTEST_TIMEOUT="$NET_TIMEOUT" nettest tcp-recv 5002 \
			>"$W/$1.hostrx" 2>&1 &
		rxpid=$!
	fi
	# Several queue pairs: one vCPU per pair, and the guest runs each
	# flow on its own vCPU, so each pair carries one (the guest's XPS
	# maps vCPU K to transmit queue K, the TAP steers a flow's replies
	# to the queue it came from).
	NET_CPUS=$3
	# shellcheck disable=SC2086 # one option per word
	net_vmm_start "$1" "$5 root=/dev/vda" "$IMAGES/rootfs.img" $6
	NET_CPUS=1
	net_qemu_taps "$2"
	if [ -n "$4" ]; then
		# Host -> guest while the guest sends to the listener above.
		nsx env NETTEST_TIMEOUT="$NET_TIMEOUT" nettest tcp-send \
			10.0.0.2 5001 "$4" 1 >"$W/$1.hosttx" 2>&1 || true
	fi
	net_vmm_wait
	if [ -n "$rxpid" ]; then
		kill "$rxpid" 2>/dev/null || true
		wait "$rxpid" 2>/dev/null || true
	fi
	net_ns_stop
}

# net_boot TAG NICS QPAIRS OFFLOAD SIZE: one guest run, shared by the cases
# that read it (cached in $W/TAG.done).  With SIZE, the host sends SIZE
# bytes to the guest and receives as many.
net_boot()
{
	if [ -f "$W/$1.done" ]; then
		# shellcheck disable=SC1090 # written below
		. "$W/$1.done"
		return 0
	fi
	tag=$1 nics=$2 qp=$3 off=$4 size=$5
	net_prepare "$tag" || return 1
	opts=""
	k=0
	while [ $k -lt "$nics" ]; do
		opts="$opts $(net_nic_opts $k "$qp" "$off")"
		k=$((k + 1))
	done
	append="nimbus.test=net"
	[ "$qp" -gt 1 ] && append="$append nimbus.netq=$qp"
	[ -n "$size" ] && append="$append nimbus.nettcp=$size"
	# A run that timed out is tried once more, saying so, with the
	# first one's output kept: the emulated host (TCG) sometimes stalls
	# for minutes.  Any other failure is a result.
	for try in 1 2; do
		net_run_once "$tag" "$nics" "$qp" "$size" "$append" "$opts"
		if [ "$R_RC" != timeout ] || [ "$try" = 2 ]; then
			break
		fi
		info "$tag" "guest run timed out after ${NET_TIMEOUT}s (last guest lines: $(tr -d '\r' <"$R_OUT" | grep 'NIMBUS-GUEST' | tail -n 2 | tr '\n' ' ')), retrying once; output kept as $R_OUT.attempt1"
		mv "$R_OUT" "$R_OUT.attempt1"
	done
	info "$tag" "vmm=$L2_VMM rc=$R_RC"
	cat >"$W/$tag.done" <<EOF
R_RC='$R_RC' R_OUT='$R_OUT'
EOF
}

# net_tcp_check CASE TAG: both transfers complete with matching SHA-256.
net_tcp_check()
{
	grx=$(net_line "$R_OUT" NET-RX)
	gtx=$(net_line "$R_OUT" NET-TX)
	htx=$(cat "$W/$2.hosttx" 2>/dev/null)
	hrx=$(cat "$W/$2.hostrx" 2>/dev/null)
	info "$1" "host->guest: host '$htx' guest '$grx'"
	info "$1" "guest->host: guest '$gtx' host '$hrx'"
	info "$1" "seconds: host->guest $(guest_val "$R_OUT" NET-RX-SECS), guest->host $(guest_val "$R_OUT" NET-TX-SECS); guest $(net_line "$R_OUT" NET-TCPSTATS)"
	q=$(net_line "$R_OUT" NET-QSTATS)
	[ -z "$q" ] || info "$1" "guest queue stats: $q"
	tr -d '\r' <"$R_OUT" | grep -a 'virtio-net\|net-tap' | grep -a 'warn\|rx [0-9]' |
		head -n 8 | sed 's/^/  vmm| /'
	if crash_seen "$R_OUT"; then
		fail "$1" "VMM crashed or KVM error" "$R_OUT"
		return 1
	fi
	if [ "$htx" != "sent $NET_BYTES ${grx##* }" ] ||
		[ "$grx" != "recv $NET_BYTES ${htx##* }" ]; then
		fail "$1" "host->guest transfer incomplete or corrupted" "$R_OUT"
		return 1
	fi
	if [ "$gtx" != "sent $NET_BYTES ${hrx##* }" ] ||
		[ "$hrx" != "recv $NET_BYTES ${gtx##* }" ]; then
		fail "$1" "guest->host transfer incomplete or corrupted" "$R_OUT"
		return 1
	fi
}

case_net_ping()
{
	net_boot net1 1 1 on "$NET_SIZE" || return 0
	need_guest net-ping NET-PING || return 0
	info net-ping "$(net_line "$R_OUT" NET-IF)"
	if net_line "$R_OUT" NET-PING | grep -q '^eth0 ok'; then
		pass net-ping
	else
		fail net-ping "ping 10.0.0.1: $(net_line "$R_OUT" NET-PING)" "$R_OUT"
	fi
}

case_net_tcp()
{
	net_boot net1 1 1 on "$NET_SIZE" || return 0
	need_guest net-tcp NET-RX || return 0
	info net-tcp "$(net_line "$R_OUT" NET-OFFLOAD)"
	if net_tcp_check net-tcp net1; then pass net-tcp; fi
}

case_net_tcp_nooffload()
{
	net_boot net-nooff 1 1 off "$NET_SIZE" || return 0
	need_guest net-tcp-nooffload NET-RX || return 0
	o=$(net_line "$R_OUT" NET-OFFLOAD)
	info net-tcp-nooffload "$o"
	case $o in
	*tcp-segmentation-offload=on*)
		fail net-tcp-nooffload "guest still has TSO: $o" "$R_OUT"
		return 0
		;;
	esac
	if net_tcp_check net-tcp-nooffload net-nooff; then
		pass net-tcp-nooffload
	fi
}

case_net_tcp_mq()
{
	net_boot net-mq 1 2 on "$NET_SIZE" || return 0
	need_guest net-tcp-mq NET-RX || return 0
	q=$(guest_val "$R_OUT" NET-QUEUES)
	info net-tcp-mq "combined queues $q, $(guest_val "$R_OUT" NET-SETQ)"
	if [ "$q" != 2 ]; then
		fail net-tcp-mq "guest uses '$q' queue pairs, want 2" "$R_OUT"
		return 0
	fi
	if net_tcp_check net-tcp-mq net-mq; then pass net-tcp-mq; fi
}

case_net_two_nics()
{
	net_boot net-2nic 2 1 on "" || return 0
	need_guest net-two-nics NET-PING || return 0
	ok=$(tr -d '\r' <"$R_OUT" | grep -c 'NIMBUS-GUEST: NET-PING eth[01] ok')
	info net-two-nics "$(tr -d '\r' <"$R_OUT" | sed -n 's/^.*NIMBUS-GUEST: NET-IF //p' | tr '\n' ';')"
	if [ "$ok" = 2 ]; then
		pass net-two-nics
	else
		fail net-two-nics "$ok of 2 NICs answered" "$R_OUT"
	fi
}

# --- vsock -------------------------------------------------------------------

# vsock_boot: one guest run for both vsock cases; the host side runs
# while the guest waits, then the VMM is stopped with SIGTERM.
vsock_boot()
{
	if [ -f "$W/vsock.done" ]; then
		# shellcheck disable=SC1091 # written below
		. "$W/vsock.done"
		return 0
	fi
	net_prepare "$1" || return 1
	sock=$NET_W/vsock.sock
	rm -f "$sock" "${sock}_5000"
	nettest uds-server "${sock}_5000" >/dev/null 2>&1 &
	srv=$!
	net_ns_start
	net_vmm_start vsock "nimbus.test=vsock root=/dev/vda" \
		"$IMAGES/rootfs.img" --vsock "cid=3,socket=$sock"
	VS_H2G="" VS_MANY="" VS_FD0=0 VS_FD1=0 VS_REBOOT=""
	if net_wait_guest VSOCK-READY 120; then
		VS_H2G=$(env NETTEST_TIMEOUT=30 nettest uds-connect "$sock" 5001 \
			hello-from-host 1 2>&1)
		pid=$(pidof nimbus || true)
		sleep 1
		VS_FD0=$(find "/proc/$pid/fd" -mindepth 1 2>/dev/null | wc -l)
		VS_MANY=$(env NETTEST_TIMEOUT=200 nettest uds-connect "$sock" \
			5001 x 1000 2>&1)
		# Let the last close finish (RST round trip).
		i=0
		while [ $i -lt 25 ]; do
			VS_FD1=$(find "/proc/$pid/fd" -mindepth 1 2>/dev/null | wc -l)
			[ "$VS_FD1" -le "$VS_FD0" ] && break
			sleep 0.2
			i=$((i + 1))
		done
		# The guest reboots (Nimbus rebuilds the VM, the device and
		# its socket); once it is back the host connects again.
		env NETTEST_TIMEOUT=20 nettest uds-connect "$sock" 5009 x 1 \
			>/dev/null 2>&1 || true
		if net_wait_count VSOCK-READY 2 120; then
			VS_REBOOT=$(env NETTEST_TIMEOUT=30 nettest uds-connect \
				"$sock" 5001 after-reboot 1 2>&1)
		fi
		kill -TERM "$pid" 2>/dev/null || true
	fi
	net_vmm_wait
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	net_ns_stop
	cat >"$W/vsock.done" <<EOF
R_RC='$R_RC' R_OUT='$R_OUT' VS_H2G='$VS_H2G' VS_MANY='$VS_MANY' VS_FD0='$VS_FD0' VS_FD1='$VS_FD1' VS_REBOOT='$VS_REBOOT'
EOF
}

case_vsock_echo()
{
	if [ "$L2_VMM" != nimbus ]; then
		skip vsock-echo "hybrid vsock is Nimbus's (QEMU has vhost-vsock)"
		return 0
	fi
	vsock_boot vsock-echo || return 0
	need_guest vsock-echo VSOCK-G2H || return 0
	g=$(net_line "$R_OUT" VSOCK-G2H)
	info vsock-echo "guest->host: $g; host->guest: $VS_H2G"
	if [ "$g" != "rc=0 reply=hello-from-guest" ]; then
		fail vsock-echo "guest->host echo: $g" "$R_OUT"
	elif [ "$VS_H2G" != "ok 1" ]; then
		fail vsock-echo "host->guest echo: '$VS_H2G'" "$R_OUT"
	else
		pass vsock-echo
	fi
}

case_vsock_many()
{
	if [ "$L2_VMM" != nimbus ]; then
		skip vsock-many "hybrid vsock is Nimbus's"
		return 0
	fi
	vsock_boot vsock-many || return 0
	need_guest vsock-many VSOCK-READY || return 0
	info vsock-many "1000 connections: '$VS_MANY'; VMM fds before $VS_FD0, after $VS_FD1"
	if [ "$VS_MANY" != "ok 1000" ]; then
		fail vsock-many "connections failed: '$VS_MANY'" "$R_OUT"
	elif [ "$VS_FD1" -gt "$VS_FD0" ] || [ "$VS_FD0" = 0 ]; then
		fail vsock-many "VMM fds grew from $VS_FD0 to $VS_FD1" "$R_OUT"
	else
		pass vsock-many
	fi
}

case_vsock_reboot()
{
	if [ "$L2_VMM" != nimbus ]; then
		skip vsock-reboot "hybrid vsock is Nimbus's"
		return 0
	fi
	vsock_boot vsock-reboot || return 0
	need_guest vsock-reboot VSOCK-REBOOTING || return 0
	n=$(tr -d '\r' <"$R_OUT" | grep -c 'NIMBUS-GUEST: ROOTFS-INIT')
	info vsock-reboot "guest boots: $n; host->guest after the reboot: '$VS_REBOOT'"
	if [ "$n" -lt 2 ]; then
		fail vsock-reboot "the guest did not boot again" "$R_OUT"
	elif [ "$VS_REBOOT" != "ok 1" ]; then
		fail vsock-reboot "host->guest echo after the reboot: '$VS_REBOOT'" "$R_OUT"
	else
		pass vsock-reboot
	fi
}

# --- pmem --------------------------------------------------------------------

# pmem_run TAG TEST ROOT VMM-OPTS...: one guest run to its power-off.
pmem_run()
{
	tag=$1 test=$2 root=$3
	shift 3
	net_ns_start
	if [ -n "$root" ]; then
		net_vmm_start "$tag" "nimbus.test=$test root=/dev/vda" "$root" "$@"
	else
		net_vmm_start "$tag" "nimbus.test=$test root=/dev/pmem0" "" "$@"
	fi
	net_vmm_wait
	net_ns_stop
	info "$tag" "vmm=$L2_VMM rc=$R_RC"
}

case_pmem_boot()
{
	if [ "$L2_VMM" != nimbus ]; then
		skip pmem-boot "virtio-pmem needs a machine with device memory"
		return 0
	fi
	net_prepare pmem-boot || return 0
	pmem_run pmem-boot pmem-boot "" \
		--pmem "file=$IMAGES/rootfs.img,discard_writes=on"
	need_guest pmem-boot ROOTFS-INIT || return 0
	r=$(guest_val "$R_OUT" ROOT)
	info pmem-boot "root=$r dax=$(guest_val "$R_OUT" PMEM-DAXCAP)"
	if [ "$r" != /dev/pmem0 ]; then
		fail pmem-boot "root is '$r', want /dev/pmem0" "$R_OUT"
	elif [ "$R_RC" != 0 ]; then
		fail pmem-boot "VMM exit status $R_RC" "$R_OUT"
	else
		pass pmem-boot
	fi
}

# pmem_dax_run CASE FILE DISCARD: the pmem-dax guest on a fresh 64 MiB file.
pmem_dax_run()
{
	net_prepare "$1" || return 1
	rm -f "$2"
	dd if=/dev/zero of="$2" bs=1048576 count=64 2>/dev/null
	pmem_run "$1" pmem-dax "$IMAGES/rootfs.img" \
		--pmem "file=$2,discard_writes=$3"
	need_guest "$1" PMEM-UMOUNT || return 1
	info "$1" "mkfs=$(guest_val "$R_OUT" PMEM-MKFS) mount=$(guest_val "$R_OUT" PMEM-MOUNT) opts=$(guest_val "$R_OUT" PMEM-OPTS) dax=$(guest_val "$R_OUT" PMEM-DAXCAP)"
	case $(guest_val "$R_OUT" PMEM-OPTS) in
	*dax*) ;;
	*)
		fail "$1" "not mounted with DAX" "$R_OUT"
		return 1
		;;
	esac
}

case_pmem_dax()
{
	if [ "$L2_VMM" != nimbus ]; then
		skip pmem-dax "virtio-pmem needs a machine with device memory"
		return 0
	fi
	f=$NET_W/pmem-dax.img
	pmem_dax_run pmem-dax "$f" off || return 0
	want=$(guest_val "$R_OUT" PMEM-SHA)
	got=$(img_cat "$f" /dax.bin | sha_of)
	info pmem-dax "guest sha256 $want, backing file $got"
	if [ -z "$want" ] || [ "$got" != "$want" ]; then
		fail pmem-dax "dax.bin missing or different in the backing file" "$R_OUT"
	elif [ "$R_RC" != 0 ]; then
		fail pmem-dax "VMM exit status $R_RC" "$R_OUT"
	else
		pass pmem-dax
	fi
	rm -f "$f"
}

case_pmem_discard()
{
	if [ "$L2_VMM" != nimbus ]; then
		skip pmem-discard "virtio-pmem needs a machine with device memory"
		return 0
	fi
	f=$NET_W/pmem-discard.img
	pmem_dax_run pmem-discard "$f" on || return 0
	nz=$(tr -d '\000' <"$f" | wc -c)
	info pmem-discard "non-zero bytes in the backing file: $nz"
	if [ "$nz" != 0 ]; then
		fail pmem-discard "the backing file changed" "$R_OUT"
	elif [ "$R_RC" != 0 ]; then
		fail pmem-discard "VMM exit status $R_RC" "$R_OUT"
	else
		pass pmem-discard
	fi
	rm -f "$f"
}

# --- benchmark (bench/net.sh) ------------------------------------------------

case_net_bench()
{
	net_prepare net-bench || return 0
	net_ns_start
	nsx sh -c 'iperf3 -s >/dev/null 2>&1 & nettest rr-server 5003 >/dev/null 2>&1 &'
	# shellcheck disable=SC2046 # one option per word
	net_vmm_start netbench "nimbus.test=netbench nimbus.netbench=8 root=/dev/vda" \
		"$IMAGES/rootfs.img" $(net_nic_opts 0 1 on)
	net_qemu_taps 1
	net_vmm_wait
	# shellcheck disable=SC2046 # one pid per word
	kill $(pidof iperf3 nettest) 2>/dev/null || true
	net_ns_stop
	need_guest net-bench NETBENCH || return 0
	r=$(net_line "$R_OUT" NETBENCH)
	info net-bench "$r"
	case $r in
	*g2h_mbps=0* | *h2g_mbps=0* | *rr_us=\ * | *rr_us=)
		fail net-bench "incomplete: $r (vmm rc=$R_RC)" "$R_OUT"
		;;
	*) pass net-bench ;;
	esac
}
