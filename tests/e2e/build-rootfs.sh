#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the Debian 12 root filesystem image and the disk set of the e2e
# storage cases, without mounting anything on the host.
#
#   tests/e2e/build-rootfs.sh      [O=build] [ROOTFS_MIRROR=URL]
#                                  [ROOTFS_REBUILD=1]
#
# 1. debootstrap --variant=minbase bookworm (plus fio, e2fsprogs) into a
#    temporary directory from the Debian mirror apt uses here (first
#    .../debian URI of /etc/apt/sources.list{,.d}; ROOTFS_MIRROR
#    overrides), trimmed (no .debs, docs, man pages, locales), configured
#    for a virtio boot and kept as $O/e2e/rootfs/tree.tar.  Needs root
#    (debootstrap's second stage runs in a chroot).  Takes a minute or two;
#    cached on the package list and the tree recipe below, so it reruns
#    only when those change (or with ROOTFS_REBUILD=1).  No directory tree
#    stays under $O: the top Makefile includes every *.d under $O, and
#    Debian has /etc/*.d directories.
# 2. The tree unpacked in a temporary directory, plus /sbin/nimbus-test
#    (the init the cases run, init=/sbin/nimbus-test; also /sbin/init, see
#    below), mkfs.ext4 -d -> $O/e2e/rootfs/rootfs.img (1 GiB, sparse),
#    cached on the tree and this script (about 15 s).
# 3. The storage disk set: small images made with e2e_mkimg (lib.sh) and
#    rootfs.img, all packed as files into one ext4 "carrier" image
#    $O/e2e/storage/images.img that L1 gets as a virtio disk (serial
#    nimbus-e2e-images) and mounts on /images; manifest.env inside it holds
#    the expected contents.  L1 runs it with snapshot=on, so it never
#    changes and is rebuilt only when its inputs do.
# Prints, and writes to $O/e2e/storage.env:
#   ROOTFS_IMG=  E2E_IMAGES_IMG=  ROOTFS_BUILD_SECS=
set -eu
. "$(dirname "$0")/lib.sh"

e2e_need_cmd mkfs.ext4 debugfs truncate sha256sum perl
rdir=$E2E_DIR/rootfs
sdir=$E2E_DIR/storage
mkdir -p "$rdir" "$sdir"

ROOTFS_SUITE=bookworm
ROOTFS_SIZE=1G
ROOTFS_PACKAGES="fio,e2fsprogs"

# Fragments: each tests/e2e/rootfs-<area>.list adds, one entry a line (#
# comments allowed), `pkg NAME` (a Debian package for the tree) or `obin
# NAME` ($O/NAME, copied to the image's /usr/local/bin); each
# tests/e2e/guest-<area>.sh is copied to /usr/lib/nimbus-test/ in the
# image and sourced by /sbin/nimbus-test, which runs its test_<name>
# function for nimbus.test=<name> (dashes become underscores).
rootfs_entries()
{
	for f in "$E2E_SRC"/rootfs-*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$f"
	done
}
for p in $(rootfs_entries | awk '$1 == "pkg" { print $2 }' | sort -u); do
	ROOTFS_PACKAGES="$ROOTFS_PACKAGES,$p"
done
rootfs_bins=$(rootfs_entries | awk -v o="$O" '$1 == "obin" { print o "/" $2 }')
for f in $rootfs_bins; do
	[ -f "$f" ] || e2e_die "rootfs-*.list: $f missing (run make?)"
done
bad=$(rootfs_entries | awk '$1 != "pkg" && $1 != "obin"' | head -n 1)
[ -z "$bad" ] || e2e_die "rootfs-*.list: unknown entry '$bad'"
guest_frags=$(ls "$E2E_SRC"/guest-*.sh 2>/dev/null || true)

# rootfs_mirror: the Debian archive URI apt uses for the main suite.
rootfs_mirror()
{
	if [ -n "${ROOTFS_MIRROR:-}" ]; then
		echo "$ROOTFS_MIRROR"
		return 0
	fi
	m=$(
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			sed 's/\[[^]]*\]//' "$f" | awk -v s="$ROOTFS_SUITE" \
				'$1 == "deb" && $3 == s { print $2 }'
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			# deb822: one stanza per blank-line separated block.
			awk -v s="$ROOTFS_SUITE" 'BEGIN { RS = ""; FS = "\n" } {
				t = ""; u = ""; ok = 0
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^Types:/) t = $i
					if ($i ~ /^URIs:/) { u = $i; sub(/^URIs:[ \t]*/, "", u) }
					if ($i ~ /^Suites:/) {
						n = split($i, w, /[ \t]+/)
						for (j = 2; j <= n; j++) if (w[j] == s) ok = 1
					}
				}
				if (t ~ /(^|[ \t])deb([ \t]|$)/ && ok) { split(u, v, /[ \t]+/); print v[1] }
			}' "$f"
		done | grep -E '^https?://[^/]*/debian/?$' | head -n 1
	)
	echo "${m:-http://deb.debian.org/debian}"
}

# rootfs_umount_under DIR: unmount anything a killed debootstrap left
# mounted inside DIR (its chroot's /proc, /sys); fail if that is not
# possible, so that the caller never deletes through a mount.
rootfs_umount_under()
{
	d=$(cd "$1" 2>/dev/null && pwd -P) || return 0
	awk -v d="$d/" 'index($2 "/", d) == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" ||
			e2e_die "cannot unmount $m"
	done
	if awk -v d="$d/" 'index($2 "/", d) == 1 { f = 1 } END { exit !f }' \
		/proc/mounts; then
		e2e_die "mounts left under $d"
	fi
}

# rootfs_rm DIR: delete a (possibly half-built) tree safely.
rootfs_rm()
{
	[ -e "$1" ] || return 0
	rootfs_umount_under "$1"
	rm -rf --one-file-system "$1"
}

# Scratch space for the trees, outside $O, removed on exit.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nimbus-rootfs.XXXXXX") ||
	e2e_die "cannot create a temporary directory"
trap 'rootfs_rm "$tmp"' EXIT
trap 'exit 130' INT TERM

# >>> tree recipe (hashed into the debootstrap cache key)
build_tree()
{
	tree=$1
	mirror=$2
	rootfs_rm "$tree"
	e2e_log "debootstrap $ROOTFS_SUITE (minbase + $ROOTFS_PACKAGES) from $mirror"
	if ! debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" \
		"$ROOTFS_SUITE" "$tree" "$mirror" >"$rdir/debootstrap.log" 2>&1; then
		tail -n 20 "$rdir/debootstrap.log" >&2
		rootfs_umount_under "$tree"
		e2e_die "debootstrap failed (log: $rdir/debootstrap.log)"
	fi
	rootfs_umount_under "$tree"
	# Trim what a test guest never reads.  (Not /dev: the guest mounts a
	# devtmpfs on it.)
	rm -rf "$tree"/var/cache/apt/archives/*.deb \
		"$tree"/var/cache/apt/*.bin "$tree"/var/lib/apt/lists/* \
		"$tree"/usr/share/doc/* "$tree"/usr/share/man/* \
		"$tree"/usr/share/info/* "$tree"/usr/share/locale/* \
		"$tree"/var/log/*.log "$tree"/var/log/apt/*
	echo nimbus-guest >"$tree/etc/hostname"
	: >"$tree/etc/machine-id"
	printf '/dev/vda / ext4 ro 0 0\n' >"$tree/etc/fstab"
	mkdir -p "$tree/mnt/ro" "$tree/mnt/rw" "$tree/mnt/k"
}
# <<< tree recipe

# --- 1. the tree ------------------------------------------------------------
t0=$(date +%s)
tar_file=$rdir/tree.tar
tree_key=$(e2e_hash "$ROOTFS_SUITE" "$ROOTFS_PACKAGES" \
	"$(sed -n '/^# >>> tree recipe/,/^# <<< tree recipe/p' "$0")")
if [ "${ROOTFS_REBUILD:-0}" = 1 ] ||
	! e2e_stamp_ok "$rdir/tree.stamp" "$tree_key" || [ ! -f "$tar_file" ]; then
	[ "$(id -u)" = 0 ] ||
		e2e_die "debootstrap needs root ($tar_file is missing or out of date)"
	e2e_need_cmd debootstrap tar
	rm -f "$rdir/tree.stamp" "$rdir/rootfs.stamp"
	build_tree "$tmp/tree" "$(rootfs_mirror)"
	[ -x "$tmp/tree/usr/bin/fio" ] || e2e_die "debootstrap left no fio"
	tar --numeric-owner --xattrs -C "$tmp/tree" -cf "$tar_file.tmp" . ||
		e2e_die "cannot archive the tree"
	mv "$tar_file.tmp" "$tar_file"
	e2e_stamp_write "$rdir/tree.stamp" "$tree_key"
	e2e_log "rootfs tree built in $(($(date +%s) - t0))s ($(du -sh "$tmp/tree" | cut -f1))"
	rootfs_rm "$tmp/tree"
fi

# --- 2. the image -------------------------------------------------------------
# /sbin/nimbus-test: PID 1 of the guest (init=/sbin/nimbus-test, after the
# guest initramfs has loaded the virtio modules and switched root to
# /dev/vda).  nimbus.test= on the kernel command line picks the test:
#   storage  ROOT=, DEBIAN= (root-vda); HVC0-*, VIA-CONSOLE, VIA-KMSG
#            (hvc0); HWRNG-* (hwrng); RO-* on /dev/vdb, mounted read-only
#            (disk-ro); RW-* on /dev/vdc: writes /written.bin, syncs and
#            unmounts (disk-write)
#   fio      fio --verify=crc32c on the raw /dev/vdb (fio-verify)
#   kill     writes /survive.bin on /dev/vdb, fsyncs it, prints
#            KILL-READY SHA=..., then keeps writing unsynced data until the
#            VMM is killed (kill-survival)
# Every line it prints starts with "NIMBUS-GUEST: "; it ends with
# POWEROFF and an ACPI power-off.
write_test_init()
{
	cat >"$1" <<'EOF'
#!/bin/bash
# Nimbus e2e rootfs init (see tests/e2e/build-rootfs.sh).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "NIMBUS-GUEST: $*"; }
# err CMD...: run CMD; print "ok", or the text after the last ": " of its
# error message (e.g. "Read-only file system").
err()
{
	local out
	if out=$("$@" 2>&1); then
		echo ok
	else
		out=${out##*: }
		echo "${out:-failed}" | head -n 1 | tr ' ' _
	fi
}
# poweroff_now: ACPI power-off through reboot(2) (minbase has no poweroff
# command; perl-base is Essential).  Synchronous, unlike sysrq o, whose
# worker raced with this script still reading from /dev/vda: the guest
# then hung in the power-off ("I/O error, dev vda" after "sysrq: Power
# Off").
poweroff_now()
{
	say POWEROFF
	sync
	# SYS_reboot (x86_64), LINUX_REBOOT_MAGIC1/2, LINUX_REBOOT_CMD_POWER_OFF
	perl -e 'syscall(169, 0xfee1dead, 672274793, 0x4321fedc, 0)'
	echo o >/proc/sysrq-trigger
	while :; do read -r -t 60 _ </dev/console; done
}

mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run
say "ROOTFS-INIT $(uname -r)"

# Test fragments (tests/e2e/guest-*.sh): test_<name> functions.
for f in /usr/lib/nimbus-test/guest-*.sh; do
	# shellcheck disable=SC1090
	[ -f "$f" ] && . "$f"
done

test=""
for a in $(cat /proc/cmdline); do
	case $a in
	nimbus.test=*) test=${a#nimbus.test=} ;;
	esac
done

test_root()
{
	say "ROOT=$(awk '$2 == "/" { d = $1 } END { print d }' /proc/mounts)"
	say "ROOT-OPTS=$(awk '$2 == "/" { o = $4 } END { print o }' /proc/mounts | cut -d, -f1)"
	say "DEBIAN=$(cat /etc/debian_version)"
}

test_hvc0()
{
	if [ -c /dev/hvc0 ]; then say HVC0-DEV=char; else say HVC0-DEV=missing; fi
	say "HVC0-ACTIVE=$(tr ' ' , </sys/class/tty/console/active)"
	say "HVC0-STDOUT=$(readlink /proc/self/fd/1)"
	echo "NIMBUS-GUEST: VIA-CONSOLE" >/dev/console
	echo "<2>NIMBUS-GUEST: VIA-KMSG" >/dev/kmsg
}

# hwrng_read: 64 bytes of /dev/hwrng in hex (virtio-rng waits killably:
# only SIGKILL ends a read the device never answers).
hwrng_read()
{
	timeout -s KILL 10 dd if=/dev/hwrng bs=64 count=1 iflag=fullblock \
		2>/dev/null | od -An -tx1 | tr -d ' \n'
}

test_hwrng()
{
	if [ ! -c /dev/hwrng ]; then
		say HWRNG-DEV=missing
		return
	fi
	say HWRNG-DEV=char
	say "HWRNG-CURRENT=$(cat /sys/class/misc/hw_random/rng_current)"
	say "HWRNG-A=$(hwrng_read)"
	say "HWRNG-B=$(hwrng_read)"
	grep -i virtio /proc/interrupts | tr -s ' ' | sed 's/^/NIMBUS-GUEST: IRQ| /'
	dmesg | grep -i -E 'rng|random' | tail -n 5 | sed 's/^/NIMBUS-GUEST: DMESG| /'
}

test_disk_ro()
{
	local d=/dev/vdb
	say "RO-FLAG=$(cat /sys/block/vdb/ro 2>/dev/null || echo missing)"
	say "RO-MOUNT=$(err mount -t ext4 -o ro $d /mnt/ro)"
	say "RO-MARKER=$(tr ' ' _ </mnt/ro/marker.txt)"
	say "RO-BLOB=$(sha256sum </mnt/ro/blob.bin | cut -d' ' -f1)"
	say "RO-TOUCH=$(err touch /mnt/ro/new-file)"
	say "RO-REMOUNT=$(err mount -o remount,rw /mnt/ro)"
	umount /mnt/ro
	say "RO-DD=$(err dd if=/dev/zero of=$d bs=4096 count=1 oflag=direct conv=notrunc,fsync)"
}

test_disk_write()
{
	local d=/dev/vdc token
	say "RW-FLAG=$(cat /sys/block/vdc/ro 2>/dev/null || echo missing)"
	say "RW-MOUNT=$(err mount -t ext4 -o rw $d /mnt/rw)"
	token=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
	{
		echo "nimbus-e2e disk-write $token"
		head -c 262144 /dev/urandom
	} >/mnt/rw/written.bin
	say "RW-TOKEN=$token"
	say "RW-SHA=$(sha256sum </mnt/rw/written.bin | cut -d' ' -f1)"
	sync
	say "RW-UMOUNT=$(err umount /mnt/rw)"
}

test_fio()
{
	cat >/tmp/verify.fio <<'FIO'
[global]
filename=/dev/vdb
direct=1
ioengine=libaio
verify=crc32c
verify_fatal=1
do_verify=1
[rand4k]
rw=randwrite
bs=4k
iodepth=16
size=2m
[seq128k]
stonewall
rw=write
bs=128k
iodepth=4
offset=16m
size=8m
FIO
	local rc=0 t0=$SECONDS
	(cd /tmp && fio --eta=never --output=/tmp/fio.out /tmp/verify.fio) || rc=$?
	say "FIO-RC=$rc"
	say "FIO-SECS=$((SECONDS - t0))"
	say "FIO-ERRS=$(grep -o 'err= *[0-9]*' /tmp/fio.out | tr -d ' ' | cut -d= -f2 | sort -u | tr '\n' , )"
	grep -E 'err=|verify|crc|IOPS|bad' /tmp/fio.out | head -n 12 |
		sed 's/^/NIMBUS-GUEST: FIO| /'
}

# Benchmark (bench/storage.sh), not a test: fio on the raw scratch disk
# with direct=1 as the issue specifies; one "FIOBENCH job read-KiB/s
# read-IOPS write-KiB/s write-IOPS" line per job from fio's terse output.
test_fiobench()
{
	cat >/tmp/bench.fio <<'FIO'
[global]
filename=/dev/vdb
direct=1
ioengine=libaio
size=48m
[fill]
rw=write
bs=1m
iodepth=4
[randread4k]
stonewall
rw=randread
bs=4k
iodepth=32
time_based
runtime=5
[seqread128k]
stonewall
rw=read
bs=128k
iodepth=8
time_based
runtime=5
[seqwrite128k]
stonewall
rw=write
bs=128k
iodepth=8
time_based
runtime=5
FIO
	local rc=0
	(cd /tmp && fio --minimal --eta=never --output=/tmp/bench.out \
		/tmp/bench.fio) || rc=$?
	say "FIOBENCH-RC=$rc"
	awk -F';' '{ print "NIMBUS-GUEST: FIOBENCH", $3, $7, $8, $48, $49 }' \
		/tmp/bench.out
}

test_kill()
{
	say "KILL-MOUNT=$(err mount -t ext4 -o rw /dev/vdb /mnt/k)"
	head -c 1048576 /dev/urandom >/mnt/k/survive.bin
	sync /mnt/k/survive.bin
	sync /mnt/k
	say "KILL-READY SHA=$(sha256sum </mnt/k/survive.bin | cut -d' ' -f1)"
	# Keep the disk busy with unsynced data until the VMM is killed.
	while :; do
		head -c 65536 /dev/urandom >>/mnt/k/noise.bin
	done
}

case $test in
storage)
	test_root
	test_hvc0
	test_hwrng
	test_disk_ro
	test_disk_write
	;;
root) test_root ;;
fio) test_fio ;;
fiobench) test_fiobench ;;
kill) test_kill ;;
"") say "NO-TEST" ;;
*)
	fn=test_${test//-/_}
	if declare -F "$fn" >/dev/null; then
		"$fn"
	else
		say "UNKNOWN-TEST $test"
	fi
	;;
esac
say "DONE $test"
poweroff_now
EOF
	chmod 755 "$1"
}

img=$rdir/rootfs.img
# shellcheck disable=SC2086 # one path per word
img_key=$(e2e_hash "$tree_key" "$ROOTFS_SIZE" "$0" "$E2E_SRC/lib.sh" \
	$guest_frags $rootfs_bins)
if ! e2e_stamp_ok "$rdir/rootfs.stamp" "$img_key" || [ ! -f "$img" ]; then
	e2e_log "building rootfs.img ($ROOTFS_SIZE, mkfs.ext4 -d)"
	tree=$tmp/tree
	rootfs_rm "$tree"
	mkdir -p "$tree"
	tar --numeric-owner --xattrs -C "$tree" -xpf "$tar_file" ||
		e2e_die "cannot unpack $tar_file"
	write_test_init "$tree/sbin/nimbus-test"
	mkdir -p "$tree/usr/lib/nimbus-test" "$tree/usr/local/bin"
	for f in $guest_frags; do
		cp "$f" "$tree/usr/lib/nimbus-test/"
	done
	for f in $rootfs_bins; do
		cp "$f" "$tree/usr/local/bin/"
	done
	[ -e "$tree/sbin/init" ] || [ -L "$tree/sbin/init" ] ||
		ln -s nimbus-test "$tree/sbin/init"
	rm -f "$img.tmp"
	truncate -s "$ROOTFS_SIZE" "$img.tmp"
	mkfs.ext4 -q -F -L nimbus-root -d "$tree" "$img.tmp" ||
		e2e_die "mkfs.ext4 -d $tree failed"
	mv "$img.tmp" "$img"
	debian_version=$(cat "$tree/etc/debian_version")
	echo "$debian_version" >"$rdir/debian_version"
	rootfs_rm "$tree"
	e2e_stamp_write "$rdir/rootfs.stamp" "$img_key"
fi

# --- 3. the storage disk set ------------------------------------------------
# Expected contents, also written to manifest.env for cases.sh in L1.
RO_MARKER="nimbus-e2e read-only disk marker"
carrier=$sdir/images.img
set_key=$(e2e_hash "$img_key" "$RO_MARKER" "$0" "$E2E_SRC/lib.sh")
if ! e2e_stamp_ok "$sdir/images.stamp" "$set_key" || [ ! -f "$carrier" ]; then
	e2e_log "building the storage disk set"
	cdir=$tmp/carrier
	src=$tmp/src
	mkdir -p "$cdir" "$src/ro" "$src/rw" "$src/k"
	# data-ro.img: a marker and 1 MiB of fixed pseudo-random bytes.
	echo "$RO_MARKER" >"$src/ro/marker.txt"
	perl -e 'srand(20240602); print map { chr(int(rand(256))) } 1 .. 1048576' \
		>"$src/ro/blob.bin"
	e2e_mkimg "$src/ro" "$cdir/data-ro.img" 8M nimbus-ro
	echo "nimbus-e2e writable disk" >"$src/rw/marker.txt"
	e2e_mkimg "$src/rw" "$cdir/data-rw.img" 16M nimbus-rw
	echo "nimbus-e2e kill-survival disk" >"$src/k/marker.txt"
	e2e_mkimg "$src/k" "$cdir/kill.img" 16M nimbus-kill
	truncate -s 64M "$cdir/scratch.img"
	ln "$img" "$cdir/rootfs.img" 2>/dev/null ||
		cp --sparse=always "$img" "$cdir/rootfs.img"
	cat >"$cdir/manifest.env" <<EOF
RO_MARKER='$RO_MARKER'
RO_BLOB_SHA=$(sha256sum <"$src/ro/blob.bin" | cut -d' ' -f1)
RO_IMG_SHA=$(sha256sum <"$cdir/data-ro.img" | cut -d' ' -f1)
ROOTFS_IMG_SHA=$(sha256sum <"$img" | cut -d' ' -f1)
DEBIAN_VERSION=$(cat "$rdir/debian_version")
EOF
	# Carrier size: what its files occupy (sparse) plus room for the
	# guests' writes and ext4's own metadata.
	used_kb=$(du -sk "$cdir" | cut -f1)
	size_mb=$((used_kb * 5 / 4 / 1024 + 256))
	rm -f "$carrier.tmp"
	truncate -s "${size_mb}M" "$carrier.tmp"
	mkfs.ext4 -q -F -L nimbus-e2e -E lazy_itable_init=0,lazy_journal_init=0 \
		-d "$cdir" "$carrier.tmp" || e2e_die "mkfs.ext4 -d $cdir failed"
	mv "$carrier.tmp" "$carrier"
	rm -rf "$cdir" "$src"
	e2e_stamp_write "$sdir/images.stamp" "$set_key"
fi

cat >"$E2E_DIR/storage.env.tmp" <<EOF
ROOTFS_IMG=$img
E2E_IMAGES_IMG=$carrier
ROOTFS_BUILD_SECS=$(($(date +%s) - t0))
EOF
mv "$E2E_DIR/storage.env.tmp" "$E2E_DIR/storage.env"
cat "$E2E_DIR/storage.env"
