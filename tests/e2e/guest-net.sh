# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Guest side of the net group (tests/e2e/cases-net.sh): sourced by the
# rootfs's /sbin/nimbus-test (bash), which runs test_<name> for
# nimbus.test=<name> and then powers off.  Uses say/err from there.
#
# Parameters come on the kernel command line:
#   nimbus.netq=N      ethtool -L eth0 combined N first
#   nimbus.nettcp=SIZE 100M-style size: receive SIZE bytes on TCP port
#                      5001 (the host sends) while sending SIZE bytes to
#                      10.0.0.1:5002; SHA-256 of both
#   nimbus.netbench=S  iperf3 S seconds each way and 1-byte
#                      request/response against 10.0.0.1
# Addressing: interface with MAC ...:K gets 10.0.K.2/24, its host side
# (the TAP) is 10.0.K.1.

# nettest (rootfs-net.list) is in /usr/local/bin.
PATH=$PATH:/usr/local/bin

net_arg()
{
	tr ' ' '\n' </proc/cmdline | sed -n "s/^nimbus\.$1=//p" | head -n 1
}

# net_k IFACE: K from the last byte of the interface's MAC.
net_k()
{
	local mac
	mac=$(cat "/sys/class/net/$1/address")
	echo $((16#${mac##*:}))
}

net_up()
{
	local d n k
	ip link set lo up
	for d in /sys/class/net/eth*; do
		[ -e "$d" ] || continue
		n=${d##*/}
		k=$(net_k "$n")
		ip link set "$n" up
		ip addr add "10.0.$k.2/24" dev "$n"
		say "NET-IF $n mac=$(cat "$d/address") ip=10.0.$k.2 driver=$(basename "$(readlink "$d/device/driver")")"
	done
}

net_info()
{
	say "NET-QUEUES=$(ethtool -l eth0 2>/dev/null | awk '/^Current/ { c = 1 } c && /^Combined/ { print $2; exit }')"
	say "NET-OFFLOAD $(ethtool -k eth0 2>/dev/null | awk -F': ' '/^(rx-checksumming|tx-checksumming|tcp-segmentation-offload|generic-receive-offload):/ { printf "%s=%s ", $1, $2 }')"
}

net_ping_all()
{
	local d n k r
	for d in /sys/class/net/eth*; do
		[ -e "$d" ] || continue
		n=${d##*/}
		k=$(net_k "$n")
		if ping -c 3 -W 3 -I "$n" "10.0.$k.1" >/tmp/ping.out 2>&1; then
			r=ok
		else
			r=fail
		fi
		say "NET-PING $n $r $(tail -n 1 /tmp/ping.out | tr ' ' _)"
	done
}

test_net()
{
	local q size t0
	net_up
	q=$(net_arg netq)
	[ -n "$q" ] && say "NET-SETQ=$(err ethtool -L eth0 combined "$q")"
	[ -n "$q" ] && say "NET-CPUS=$(nproc) xps=$(cat /sys/class/net/eth0/queues/tx-*/xps_cpus 2>/dev/null | tr '\n' ,)"
	net_info
	net_ping_all
	size=$(net_arg nettcp)
	if [ -n "$size" ]; then
		# Both directions at once (the host's sender retries until
		# this listens; its receiver is up before the guest boots).
		# With several queue pairs (and as many vCPUs), the receiver
		# runs on vCPU 0 and the sender on vCPU 1: one flow a pair.
		rxcpu="" txcpu=""
		if [ -n "$q" ] && [ "$(nproc)" -ge 2 ]; then
			rxcpu="taskset -c 0" txcpu="taskset -c 1"
		fi
		t0=$SECONDS
		(
			$rxcpu nettest tcp-recv 5001 >/tmp/net-rx.out 2>&1
			echo $((SECONDS - t0)) >/tmp/net-rx.secs
		) &
		$txcpu nettest tcp-send 10.0.0.1 5002 "$size" 2 >/tmp/net-tx.out 2>&1
		say "NET-TX-SECS=$((SECONDS - t0))"
		wait
		say "NET-RX-SECS=$(cat /tmp/net-rx.secs)"
		say "NET-RX $(cat /tmp/net-rx.out)"
		say "NET-TX $(cat /tmp/net-tx.out)"
		say "NET-QSTATS $(ethtool -S eth0 2>/dev/null | awk '/(rx|tx)_queue_[0-9]+_(packets|drops|kicks)/ { gsub(/ /, ""); printf "%s ", $0 }')"
		say "NET-TCPSTATS $(awk '/^Tcp:/ { if (h) { print "retrans=" $13 " in=" $11 " out=" $12 } h = 1 }' /proc/net/snmp)"
	fi
}

# Benchmark (bench/net.sh), not a test.
test_netbench()
{
	local t g2h h2g rr
	net_up
	t=$(net_arg netbench)
	net_ping_all
	g2h=$(iperf3 -c 10.0.0.1 -t "${t:-8}" -f m 2>&1 | awk '/receiver/ { print $(NF - 2) }')
	h2g=$(iperf3 -c 10.0.0.1 -t "${t:-8}" -f m -R 2>&1 | awk '/receiver/ { print $(NF - 2) }')
	rr=$(nettest rr-client 10.0.0.1 5003 2000 2>&1)
	say "NETBENCH g2h_mbps=${g2h:-0} h2g_mbps=${h2g:-0} rr_us=$(echo "$rr" | awk '{ print $3 }')"
}

test_vsock()
{
	local out rc
	nettest vsock-server 5001 &
	# A connection to port 5009 reboots the guest (vsock-reboot).
	(nettest vsock-wait 5009 && say VSOCK-REBOOTING && sync &&
		perl -e 'syscall(169, 0xfee1dead, 672274793, 0x01234567, 0)') &
	sleep 0.5
	out=$(nettest vsock-client 2 5000 hello-from-guest 2>&1)
	rc=$?
	say "VSOCK-G2H rc=$rc reply=$out"
	# The host side runs now and stops the VMM when it is done.
	say "VSOCK-READY"
	sleep 600
}

test_pmem_boot()
{
	test_root
	say "PMEM-DAXCAP=$(cat /sys/block/pmem0/queue/dax 2>/dev/null || echo missing)"
}

# Write through DAX on /dev/pmem0 (the host checks its backing file).
test_pmem_dax()
{
	local d=/dev/pmem0
	if [ -b $d ]; then say PMEM-DEV=block; else say PMEM-DEV=missing; fi
	say "PMEM-DAXCAP=$(cat /sys/block/pmem0/queue/dax 2>/dev/null || echo missing)"
	say "PMEM-MKFS=$(err mkfs.ext4 -q -F -b 4096 $d)"
	say "PMEM-MOUNT=$(err mount -t ext4 -o dax=always $d /mnt/rw)"
	say "PMEM-OPTS=$(awk '$2 == "/mnt/rw" { print $4 }' /proc/mounts)"
	head -c 1048576 /dev/urandom >/mnt/rw/dax.bin
	say "PMEM-SHA=$(sha256sum </mnt/rw/dax.bin | cut -d' ' -f1)"
	sync
	say "PMEM-UMOUNT=$(err umount /mnt/rw)"
}
