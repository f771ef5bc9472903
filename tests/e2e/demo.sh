#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `make run`: boot Debian's cloud kernel with a busybox initramfs under the
# L2 VMM (nimbus, or QEMU as a stand-in: L2_VMM) and show its serial
# console.  With a terminal on stdin the guest runs a shell ('exit' powers
# it off), otherwise it prints its `info` lines and powers off.
#
# Where /dev/kvm can run a stock kernel the VMM runs right here.  Where it
# cannot (no /dev/kvm, or the software "PVM" KVM, module kvm_pvm, on which
# Linux stops in KVM's instruction emulator) the same demo runs inside an
# emulated AMD host with real nested KVM (QEMU TCG, see README.md): its
# boot adds about 10 s, and ^A x leaves it.
# DEMO_MODE=direct|emulated overrides the choice.
set -eu
. "$(dirname "$0")/lib.sh"

vmm=${L2_VMM:-$E2E_DEFAULT_VMM}
export L2_VMM="$vmm"

mode=${DEMO_MODE:-}
if [ -z "$mode" ]; then
	if [ ! -e /dev/kvm ]; then
		why="no /dev/kvm on this machine"
	elif [ -d /sys/module/kvm_pvm ] ||
		grep -qs '^kvm_pvm ' /proc/modules; then
		why="/dev/kvm here is PVM (kvm_pvm), which cannot boot a stock Linux kernel"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		why="/dev/kvm is not accessible to $(id -un)"
	else
		why=""
	fi
	if [ -n "$why" ]; then
		echo "nimbus demo: $why; running it inside an emulated AMD host with nested KVM."
		mode=emulated
	else
		mode=direct
	fi
fi

"$E2E_SRC/fetch-kernel.sh" >/dev/null
"$E2E_SRC/build-guest-initramfs.sh" >/dev/null
e2e_load_kernel_env

case $mode in
direct)
	# Same launcher as the e2e cases, on a payload tree of symlinks.
	p=$E2E_DIR/demo-payload
	rm -rf "$p"
	mkdir -p "$p/guest"
	ln -s "$KERNEL_BZIMAGE" "$p/guest/bzImage"
	ln -s "$E2E_DIR/guest/initramfs.cpio.gz" "$p/guest/initramfs.cpio.gz"
	case $vmm in
	nimbus)
		[ -x "$O/nimbus" ] || e2e_die "$O/nimbus missing (run make)"
		ln -s "$O/plugins" "$p/plugins"
		PATH=$O:$PATH
		;;
	qemu)
		e2e_need_cmd qemu-system-x86_64
		ln -s "$(dirname "$(command -v qemu-system-x86_64)")/../share/qemu" \
			"$p/qemu"
		;;
	esac
	E2E_PAYLOAD=$p exec sh "$E2E_SRC/cases.sh" demo
	;;
emulated)
	"$E2E_SRC/build-l1.sh" "$vmm" >/dev/null
	exec "$E2E_SRC/run-l1.sh" -m demo -i -n "demo-$vmm"
	;;
*)
	e2e_die "DEMO_MODE must be direct or emulated, not '$mode'"
	;;
esac
