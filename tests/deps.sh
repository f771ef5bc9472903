#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install the Debian packages Nimbus needs, only when something is missing.
#   tests/deps.sh build   - compilers and libraries for `make`
#   tests/deps.sh check   - plus what `make check` needs (QEMU, busybox, ...)
set -e
want="gcc make pkg-config libjansson-dev libseccomp-dev libcmocka-dev liburing-dev \
	libfdt-dev"
case "${1:-build}" in
check) want="$want qemu-system-x86 qemu-utils busybox-static cpio xz-utils \
	e2fsprogs dpkg-dev zstd lz4 libc6-dev binutils python3 debootstrap \
	clang libclang-rt-14-dev device-tree-compiler iperf3" ;;
esac
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "nimbus: missing packages:$missing (run as root or install them)" >&2
	exit 1
fi
echo "nimbus: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
