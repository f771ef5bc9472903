#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install the Debian packages of the AArch64 cross build and its end-to-end
# stage when something is missing (root only; prints what is missing
# otherwise).  Adds the arm64 dpkg architecture for the multiarch -dev
# libraries.  libfdt-dev:arm64 conflicts with the amd64 libfdt-dev, so the
# cross build uses libfdt1:arm64 plus the amd64 headers.
set -e
host="qemu-system-arm qemu-user-static crossbuild-essential-arm64 \
	device-tree-compiler libfdt-dev cpio gzip perl binutils"
arm="libjansson-dev:arm64 libseccomp-dev:arm64 libcmocka-dev:arm64 \
	liburing-dev:arm64 libfdt1:arm64"
missing=""
for p in $host $arm; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "nimbus: missing packages:$missing (run as root or install them)" >&2
	exit 1
fi
echo "nimbus: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
fi
apt-get update -qq
# shellcheck disable=SC2086 # one package per word
apt-get install -y -qq --no-install-recommends $missing >/dev/null
