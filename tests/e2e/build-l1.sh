#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the initramfs of the emulated host ("L1") that runs the e2e cases.
#
#   tests/e2e/build-l1.sh [qemu|nimbus]   (default: $L2_VMM, else lib.sh's)
#
# L1's initrd is three concatenated cpio archives (the kernel unpacks them
# in order), each cached on its inputs so that a VMM rebuild only redoes
# the payload:
#   l1/base.cpio           busybox, kvm modules, outb helper, /init; for
#                          the storage cases virtio_pci + virtio_blk (in
#                          /lib/modules/virtio, insmod order in "order")
#                          and e2fsprogs' debugfs and e2fsck with their
#                          libraries (cases.sh loads and uses them only
#                          when a storage case runs)
#   l1/payload-<vmm>.cpio  the L2 VMM with its exact ldd closure (dynamic
#                          loader included), its plugins or firmware, the
#                          guest kernel (bzImage, vmlinux), guest initramfs
#   l1/extras.cpio         what the tests/e2e/l1-*.list files ask for
#                          (see below), rebuilt when they or their
#                          inputs change
#   l1/tests.cpio          cases.sh and every tests/e2e/cases-*.sh
# and the result is l1/l1-<vmm>.cpio.  Prints that path.
#
# An l1-<area>.list file has one entry a line (# comments allowed):
#   bin PATH     a host ELF, copied to /usr/local/bin with its ldd closure
#   obin NAME    the same for $O/NAME (a file the build made)
#   mod NAME     a module of the L1 kernel and its dependencies, loaded at
#                L1 boot (insmod order in /lib/modules/extra/order)
set -eu
. "$(dirname "$0")/lib.sh"

vmm=${1:-${L2_VMM:-$E2E_DEFAULT_VMM}}
case $vmm in
qemu | nimbus) ;;
*) e2e_die "unknown L2 VMM '$vmm' (qemu or nimbus)" ;;
esac
e2e_need_cmd cpio gcc ldd readelf sha256sum perl debugfs e2fsck

e2e_load_kernel_env
guest_initrd=$E2E_DIR/guest/initramfs.cpio.gz
[ -f "$guest_initrd" ] ||
	e2e_die "$guest_initrd missing (run tests/e2e/build-guest-initramfs.sh)"
ldir=$E2E_DIR/l1
mkdir -p "$ldir"
bb=$(e2e_busybox)
l1_mods=$(e2e_mod_order "$MODULES_DIR" virtio_pci virtio_blk)
e2fs_tools="$(command -v debugfs) $(command -v e2fsck)"

# copy_closure ROOT FILE...: copy each ELF and every library ldd resolves
# for it (and the dynamic loader) to the same absolute path under ROOT.
copy_closure()
{
	croot=$1
	shift
	for f in "$@"; do
		ldd "$f" 2>/dev/null | awk '
			/=>/ && $3 ~ /^\// { print $3; next }
			$1 ~ /^\// { print $1 }'
	done | sort -u | while read -r lib; do
		mkdir -p "$croot$(dirname "$lib")"
		cp -L "$lib" "$croot$lib"
	done
}

# --- base archive ----------------------------------------------------------
build_base()
{
	root=$ldir/base-root
	rm -rf "$root"
	mkdir -p "$root/proc" "$root/sys" "$root/dev" "$root/tmp" \
		"$root/lib/modules" "$root/payload"
	e2e_bb_populate "$bb" "$root"
	for m in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko \
		arch/x86/kvm/kvm-amd.ko; do
		cp "$MODULES_DIR/kernel/$m" "$root/lib/modules/"
	done
	mkdir -p "$root/lib/modules/virtio"
	for m in $l1_mods; do
		cp "$m" "$root/lib/modules/virtio/"
		basename "$m" .ko >>"$root/lib/modules/virtio/order"
	done
	for t in $e2fs_tools; do
		# Never copy through busybox's applet symlinks.
		rm -f "$root/sbin/$(basename "$t")"
		cp "$t" "$root/sbin/"
	done
	# shellcheck disable=SC2086 # one path per word
	copy_closure "$root" $e2fs_tools
	# busybox has no outb and the cloud kernel no /dev/port.
	cat >"$ldir/outb.c" <<'EOF'
// SPDX-License-Identifier: Apache-2.0
// outb PORT VALUE: write one byte to an x86 I/O port (L1 e2e helper).
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
	unsigned long port, val;

	if (argc != 3) {
		fprintf(stderr, "usage: outb PORT VALUE\n");
		return 2;
	}
	port = strtoul(argv[1], NULL, 0);
	val = strtoul(argv[2], NULL, 0);
	if (port > 0xffff || val > 0xff || ioperm(port, 1, 1) != 0) {
		perror("outb");
		return 1;
	}
	outb((unsigned char)val, (unsigned short)port);
	return 0;
}
EOF
	gcc -static -Os -s -o "$root/bin/outb" "$ldir/outb.c" ||
		e2e_die "cannot build the static outb helper (libc6-dev?)"
	write_l1_init "$root/init"
	chmod 755 "$root/init"
	e2e_cpio "$root" "$ldir/base.main.cpio"
	e2e_cpio_console "$ldir/base.console.cpio"
	cat "$ldir/base.main.cpio" "$ldir/base.console.cpio" >"$ldir/base.cpio"
	rm -rf "$root" "$ldir/base.main.cpio" "$ldir/base.console.cpio"
}

write_l1_init()
{
	cat >"$1" <<'EOF'
#!/bin/sh
# Nimbus e2e L1 init: load KVM, run the cases (or the demo), report the
# failure count through isa-debug-exit (port 0xf4) and power off.
export PATH=/payload/bin:/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp
mount -t devpts devpts /dev/pts 2>/dev/null

up() { cut -d' ' -f1 /proc/uptime; }
finish()
{
	n=$1
	[ "$n" -gt 127 ] && n=127
	echo "NIMBUS-E2E: DONE failures=$1 uptime=$(up)"
	outb 0xf4 "$n"
	poweroff -f
}

echo "NIMBUS-E2E: L1 USERSPACE uptime=$(up)"
mode=cases
vmm=qemu
cases=""
for a in $(cat /proc/cmdline); do
	case $a in
	nimbus.mode=*) mode=${a#*=} ;;
	nimbus.l2vmm=*) vmm=${a#*=} ;;
	nimbus.cases=*) cases=$(echo "${a#*=}" | tr , ' ') ;;
	nimbus.interactive=*) export E2E_INTERACTIVE=${a#*=} ;;
	nimbus.l2timeout=*) export L2_TIMEOUT=${a#*=} ;;
	esac
done

for m in irqbypass kvm kvm-amd; do
	if ! insmod /lib/modules/$m.ko; then
		echo "NIMBUS-E2E: FAIL l1-kvm insmod $m failed"
		finish 1
	fi
done
if [ ! -c /dev/kvm ]; then
	echo "NIMBUS-E2E: FAIL l1-kvm /dev/kvm missing after loading kvm_amd"
	finish 1
fi
echo "NIMBUS-E2E: KVM ready uptime=$(up) ($(dmesg | grep -c 'Nested Paging enabled') NPT)"
for m in $(cat /lib/modules/extra/order 2>/dev/null); do
	insmod "/lib/modules/extra/$m.ko" 2>/dev/null ||
		echo "NIMBUS-E2E: INFO l1-extra insmod $m failed"
done

export L2_VMM=$vmm E2E_CASES="$cases"
case $mode in
cases)
	sh /payload/cases.sh run
	finish $?
	;;
demo)
	# Own the console as controlling terminal so the L2 VMM gets it.
	setsid cttyhack sh /payload/cases.sh demo
	finish $?
	;;
*)
	echo "NIMBUS-E2E: FAIL l1-mode unknown mode $mode"
	finish 1
	;;
esac
EOF
}

# shellcheck disable=SC2086 # one path per word
base_key=$(e2e_hash "$bb" "$MODULES_DIR/kernel/arch/x86/kvm/kvm-amd.ko" \
	"$MODULES_DIR/kernel/arch/x86/kvm/kvm.ko" "$0" "$E2E_SRC/lib.sh" \
	$l1_mods $e2fs_tools)
if ! e2e_stamp_ok "$ldir/base.stamp" "$base_key" || [ ! -f "$ldir/base.cpio" ]; then
	e2e_log "building L1 base initramfs"
	build_base
	e2e_stamp_write "$ldir/base.stamp" "$base_key"
fi

# --- payload archive -------------------------------------------------------
payload_inputs()
{
	case $vmm in
	qemu)
		command -v qemu-system-x86_64
		;;
	nimbus)
		echo "$O/nimbus"
		ls "$O"/plugins/*.so 2>/dev/null || true
		;;
	esac
}

if [ "$vmm" = qemu ]; then
	e2e_need_cmd qemu-system-x86_64
	qemu_bin=$(command -v qemu-system-x86_64)
	qemu_share=$(dirname "$qemu_bin")/../share/qemu
	# microvm's qboot firmware, and what -kernel loading may ask for.
	qemu_fw="bios-microvm.bin qboot.rom linuxboot_dma.bin linuxboot.bin
		pvh.bin kvmvapic.bin multiboot_dma.bin"
else
	[ -x "$O/nimbus" ] || e2e_die "$O/nimbus missing (run make)"
	ls "$O"/plugins/*.so >/dev/null 2>&1 ||
		e2e_die "no plugins in $O/plugins (run make)"
fi

# Split on purpose: one path per word (build paths have no blanks).
# shellcheck disable=SC2046
payload_key=$(e2e_hash "$vmm" $(payload_inputs) "$E2E_DIR/kernel/.stamp" \
	"$guest_initrd" "$0" "$E2E_SRC/lib.sh" \
	$(for f in $(payload_inputs); do ldd "$f" 2>/dev/null; done |
		awk '/=>/ && $3 ~ /^\// { print $3 }' | sort -u))
payload=$ldir/payload-$vmm.cpio
if ! e2e_stamp_ok "$ldir/payload-$vmm.stamp" "$payload_key" ||
	[ ! -f "$payload" ]; then
	e2e_log "building L1 payload for $vmm"
	root=$ldir/payload-root
	rm -rf "$root"
	mkdir -p "$root/payload/bin" "$root/payload/guest"
	case $vmm in
	qemu)
		cp "$qemu_bin" "$root/payload/bin/"
		mkdir -p "$root/payload/qemu"
		for f in $qemu_fw; do
			[ -e "$qemu_share/$f" ] &&
				cp -L "$qemu_share/$f" "$root/payload/qemu/"
		done
		[ -f "$root/payload/qemu/bios-microvm.bin" ] ||
			e2e_die "$qemu_share/bios-microvm.bin missing"
		copy_closure "$root" "$qemu_bin"
		;;
	nimbus)
		cp "$O/nimbus" "$root/payload/bin/"
		mkdir -p "$root/payload/plugins"
		cp "$O"/plugins/*.so "$root/payload/plugins/"
		copy_closure "$root" "$O/nimbus" "$O"/plugins/*.so
		;;
	esac
	[ -n "$(ls "$root/lib64" 2>/dev/null)" ] ||
		e2e_die "no dynamic loader found for the $vmm closure"
	cp "$KERNEL_BZIMAGE" "$root/payload/guest/bzImage"
	cp "$KERNEL_VMLINUX" "$root/payload/guest/vmlinux"
	cp "$guest_initrd" "$root/payload/guest/initramfs.cpio.gz"
	# The corrupt-kernel case: 4 KiB of pseudo-random bytes from a fixed
	# seed, the same in every build (perl-base is Essential in Debian).
	perl -e 'srand(20240601); print map { chr(int(rand(256))) } 1 .. 4096' \
		>"$root/payload/guest/corrupt-kernel"
	e2e_cpio "$root" "$payload"
	rm -rf "$root"
	e2e_stamp_write "$ldir/payload-$vmm.stamp" "$payload_key"
fi

# --- extras archive (tests/e2e/l1-*.list) ------------------------------------
# extras_entries: "kind arg" lines of every list, comments dropped.
extras_entries()
{
	for f in "$E2E_SRC"/l1-*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$f"
	done
}

# extras_inputs: the files the extras archive is made of.
extras_inputs()
{
	extras_entries | while read -r kind arg; do
		case $kind in
		bin) echo "$arg" ;;
		obin) echo "$O/$arg" ;;
		mod) e2e_mod_order "$MODULES_DIR" "$arg" ;;
		*) e2e_die "$E2E_SRC/l1-*.list: unknown entry '$kind $arg'" ;;
		esac
	done
}

extras_files=$(extras_inputs)
for f in $extras_files; do
	[ -f "$f" ] || e2e_die "l1-*.list: $f missing (run make?)"
done
# shellcheck disable=SC2086 # one path per word
extras_key=$(e2e_hash "$0" $(ls "$E2E_SRC"/l1-*.list 2>/dev/null) \
	$extras_files)
if ! e2e_stamp_ok "$ldir/extras.stamp" "$extras_key" ||
	[ ! -f "$ldir/extras.cpio" ]; then
	root=$ldir/extras-root
	rm -rf "$root"
	mkdir -p "$root/usr/local/bin" "$root/lib/modules/extra"
	: >"$root/lib/modules/extra/order"
	bins=""
	for f in $extras_files; do
		case $f in
		*.ko)
			n=$(basename "$f" .ko)
			grep -qx "$n" "$root/lib/modules/extra/order" && continue
			cp "$f" "$root/lib/modules/extra/"
			echo "$n" >>"$root/lib/modules/extra/order"
			;;
		*)
			cp -L "$f" "$root/usr/local/bin/"
			bins="$bins $f"
			;;
		esac
	done
	# shellcheck disable=SC2086 # one path per word
	[ -n "$bins" ] && copy_closure "$root" $bins
	e2e_cpio "$root" "$ldir/extras.cpio"
	rm -rf "$root"
	e2e_stamp_write "$ldir/extras.stamp" "$extras_key"
fi

# --- tests archive ---------------------------------------------------------
root=$ldir/tests-root
rm -rf "$root"
mkdir -p "$root/payload"
cp "$E2E_SRC/cases.sh" "$root/payload/cases.sh"
for f in "$E2E_SRC"/cases-*.sh; do
	[ -f "$f" ] && cp "$f" "$root/payload/"
done
e2e_cpio "$root" "$ldir/tests.cpio"
rm -rf "$root"

out=$ldir/l1-$vmm.cpio
cat "$ldir/base.cpio" "$payload" "$ldir/extras.cpio" "$ldir/tests.cpio" \
	>"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
