#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build everything the arm64 end-to-end stage boots, under $O/e2e-arm64:
#   k-l1/, k-l2/          Debian's arm64 kernels (apt-get download +
#                         dpkg-deb -x; nothing is installed): the cloud
#                         kernel for the emulated host, the generic one
#                         (gpio_keys) for the guest
#   guest/initramfs.cpio.gz  busybox:arm64, virtio/evdev/gpio_keys
#                         modules, guest-init.sh as /init
#   guest/disk.img        1 MiB of fixed pseudo-random data (+ .sha256)
#   guest/corrupt-kernel  4 KiB of fixed pseudo-random data
#   l1/l1.cpio            the emulated host's initramfs: busybox, /init,
#                         nimbus, nimbus-remote, hv-kvm.so and their arm64
#                         library closure, the guest files, cases.sh
#   l1.env                L1_KERNEL= and L1_INITRD=
# The arm64 nimbus comes from $NIMBUS_ARM64_BUILD (default $O/arm64,
# built here with `make ARCH=aarch64 CROSS_COMPILE=aarch64-linux-gnu-`
# when NIMBUS_ARM64_BUILD is unset).  Steps are cached on their inputs.
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_need_cmd apt-get apt-cache dpkg-deb cpio gzip readelf perl sha256sum
mkdir -p "$A64_DIR"

# --- the arm64 build ---------------------------------------------------------
if [ -n "${NIMBUS_ARM64_BUILD:-}" ]; then
	nb=$NIMBUS_ARM64_BUILD
else
	nb=$O/arm64
	e2e_log "cross-building nimbus for arm64 into $nb"
	make -C "$E2E_REPO" --no-print-directory -j2 ARCH=aarch64 \
		CROSS_COMPILE=aarch64-linux-gnu- O="$nb" all >"$A64_DIR/make.log" 2>&1 ||
		{ tail -n 20 "$A64_DIR/make.log" >&2; e2e_die "arm64 build failed (log: $A64_DIR/make.log)"; }
fi
for f in nimbus nimbus-remote plugins/hv-kvm.so; do
	[ -f "$nb/$f" ] || e2e_die "$nb/$f missing"
done

# --- kernels and busybox -------------------------------------------------------
l1pkg=$(a64_kernel_pkg "$A64_L1_FLAVOUR")
l2pkg=$(a64_kernel_pkg "$A64_L2_FLAVOUR")
[ -n "$l1pkg" ] && [ -n "$l2pkg" ] ||
	e2e_die "no arm64 kernel package found (dpkg --add-architecture arm64 && apt-get update)"
a64_unpack "$(a64_fetch "$l1pkg")" "$A64_DIR/k-l1"
a64_unpack "$(a64_fetch "$l2pkg")" "$A64_DIR/k-l2"
a64_unpack "$(a64_fetch busybox-static)" "$A64_DIR/busybox"
L1_KERNEL=$(ls "$A64_DIR"/k-l1/boot/vmlinuz-* | head -n 1)
L2_KERNEL=$(ls "$A64_DIR"/k-l2/boot/vmlinuz-* | head -n 1)
MODS=$(ls -d "$A64_DIR"/k-l2/lib/modules/* | head -n 1)
BB=$A64_DIR/busybox/bin/busybox
[ -f "$BB" ] || e2e_die "busybox-static:arm64 has no bin/busybox"

# bb_root ROOT: busybox and one link per applet (the applet list comes
# from the host's busybox of the same release, or from qemu-user).
bb_root()
{
	mkdir -p "$1/bin" "$1/sbin" "$1/usr/bin" "$1/usr/sbin" "$1/proc" \
		"$1/sys" "$1/dev" "$1/tmp"
	cp "$BB" "$1/bin/busybox"
	if command -v qemu-aarch64-static >/dev/null 2>&1; then
		list=$(qemu-aarch64-static "$BB" --list-full)
	else
		list=$(busybox --list-full)
	fi
	for a in $list; do
		[ -e "$1/$a" ] || ln -s /bin/busybox "$1/$a"
	done
}

# --- the guest -----------------------------------------------------------------
gdir=$A64_DIR/guest
mkdir -p "$gdir"
mods=$(e2e_mod_order "$MODS" virtio_pci virtio_blk virtio-rng)
extra=$(e2e_mod_order "$MODS" evdev gpio_keys)
# shellcheck disable=SC2086 # one path per word
gkey=$(e2e_hash "$BB" "$A64_SRC/guest-init.sh" "$0" $mods $extra)
if ! e2e_stamp_ok "$gdir/.stamp" "$gkey" || [ ! -f "$gdir/initramfs.cpio.gz" ]; then
	e2e_log "building the arm64 guest initramfs"
	root=$gdir/root
	rm -rf "$root"
	bb_root "$root"
	mkdir -p "$root/lib/modules"
	for m in $mods; do
		cp "$m" "$root/lib/modules/"
		basename "$m" .ko >>"$root/lib/modules/order"
	done
	for m in $extra; do
		cp "$m" "$root/lib/modules/"
	done
	cp "$A64_SRC/guest-init.sh" "$root/init"
	chmod 755 "$root/init"
	e2e_cpio "$root" "$gdir/main.cpio"
	e2e_cpio_console "$gdir/console.cpio"
	cat "$gdir/main.cpio" "$gdir/console.cpio" | gzip -6n >"$gdir/initramfs.cpio.gz"
	rm -rf "$root" "$gdir/main.cpio" "$gdir/console.cpio"
	e2e_stamp_write "$gdir/.stamp" "$gkey"
fi
if [ ! -f "$gdir/corrupt-kernel" ]; then
	perl -e 'srand(20240601); print map { chr(int(rand(256))) } 1 .. 4096' \
		>"$gdir/corrupt-kernel"
fi
if [ ! -f "$gdir/disk.img.sha256" ]; then
	perl -e 'srand(20251121); print map { chr(int(rand(256))) } 1 .. 1048576' \
		>"$gdir/disk.img"
	sha256sum <"$gdir/disk.img" | cut -d' ' -f1 >"$gdir/disk.img.sha256"
fi

# --- the emulated host's initramfs ------------------------------------------------
ldir=$A64_DIR/l1
mkdir -p "$ldir"
bins="$nb/nimbus $nb/nimbus-remote $nb/plugins/hv-kvm.so"
# shellcheck disable=SC2086 # one path per word
libs=$(a64_closure $bins)
# shellcheck disable=SC2086 # one path per word
lkey=$(e2e_hash "$BB" "$0" "$A64_SRC/cases.sh" "$A64_SRC/lib.sh" \
	"$L2_KERNEL" "$gdir/initramfs.cpio.gz" "$gdir/disk.img" $bins $libs)
if ! e2e_stamp_ok "$ldir/.stamp" "$lkey" || [ ! -f "$ldir/l1.cpio" ]; then
	e2e_log "building the arm64 L1 initramfs"
	root=$ldir/root
	rm -rf "$root"
	bb_root "$root"
	mkdir -p "$root/lib/aarch64-linux-gnu" "$root/payload/bin" \
		"$root/payload/plugins" "$root/payload/l2"
	for l in $libs; do
		case $l in
		*/ld-linux-aarch64.so.1) cp -L "$l" "$root/lib/" ;;
		*) cp -L "$l" "$root/lib/aarch64-linux-gnu/" ;;
		esac
	done
	[ -f "$root/lib/ld-linux-aarch64.so.1" ] ||
		e2e_die "no arm64 dynamic loader in the closure"
	cp "$nb/nimbus" "$nb/nimbus-remote" "$root/payload/bin/"
	cp "$nb/plugins/hv-kvm.so" "$root/payload/plugins/"
	cp "$L2_KERNEL" "$root/payload/l2/Image"
	cp "$gdir/initramfs.cpio.gz" "$gdir/disk.img" "$gdir/disk.img.sha256" \
		"$gdir/corrupt-kernel" "$root/payload/l2/"
	cp "$A64_SRC/cases.sh" "$root/payload/cases.sh"
	cat >"$root/init" <<'EOF2'
#!/bin/sh
# Nimbus arm64 e2e L1 init: check /dev/kvm, run the cases, power off.
export PATH=/payload/bin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp
up() { cut -d' ' -f1 /proc/uptime; }
echo "NIMBUS-E2E: L1 USERSPACE uptime=$(up)"
cases=""
for a in $(cat /proc/cmdline); do
	case $a in
	nimbus.cases=*) cases=$(echo "${a#*=}" | tr , ' ') ;;
	nimbus.l2timeout=*) export L2_TIMEOUT=${a#*=} ;;
	esac
done
n=1
if [ ! -c /dev/kvm ]; then
	echo "NIMBUS-E2E: FAIL l1-kvm /dev/kvm missing ($(dmesg | grep -m1 'kvm \[' || echo no kvm log))"
else
	echo "NIMBUS-E2E: KVM ready uptime=$(up) ($(dmesg | grep -o 'VHE mode initialized\|Hyp mode initialized' | head -n 1))"
	E2E_CASES="$cases" sh /payload/cases.sh run
	n=$?
fi
echo "NIMBUS-E2E: DONE failures=$n uptime=$(up)"
poweroff -f
EOF2
	chmod 755 "$root/init"
	e2e_cpio "$root" "$ldir/main.cpio"
	e2e_cpio_console "$ldir/console.cpio"
	cat "$ldir/main.cpio" "$ldir/console.cpio" >"$ldir/l1.cpio"
	rm -rf "$root" "$ldir/main.cpio" "$ldir/console.cpio"
	e2e_stamp_write "$ldir/.stamp" "$lkey"
fi
cat >"$A64_DIR/l1.env" <<EOF2
L1_KERNEL=$L1_KERNEL
L1_INITRD=$ldir/l1.cpio
EOF2
echo "$A64_DIR/l1.env"
