# shellcheck shell=sh
# SPDX-License-Identifier: Apache-2.0
# Helpers of the arm64 end-to-end stage (sourced, POSIX sh).  Reuses the
# generic helpers of tests/e2e/lib.sh (hashing, stamps, cpio, modules) and
# keeps its own artefacts in $O/e2e-arm64 ($A64_DIR).
#
# Sets: A64_SRC (tests/e2e-arm64), A64_DIR ($O/e2e-arm64), A64_DEB (the
# downloaded .debs), A64_LIBDIRS (where arm64 shared libraries are looked
# up on this host).
# shellcheck source=../e2e/lib.sh
. "$(cd "$(dirname "$0")/../e2e" && pwd)/lib.sh"
A64_SRC=$(cd "$(dirname "$0")" && pwd)
A64_DIR=$O/e2e-arm64
A64_DEB=$A64_DIR/deb
A64_LIBDIRS="/lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/aarch64-linux-gnu/lib"
# Kernel flavours: the cloud kernel (KVM built in) for the emulated host,
# the generic one (it has gpio_keys, which the power key needs) for the
# guest.
A64_L1_FLAVOUR=${A64_L1_FLAVOUR:-cloud-arm64}
A64_L2_FLAVOUR=${A64_L2_FLAVOUR:-arm64}
export A64_DIR

# a64_fetch PKG: download the arm64 .deb of PKG into $A64_DEB (cached by
# name) and print its path.  Never installs anything on the host.
a64_fetch()
{
	mkdir -p "$A64_DEB"
	f=$(ls "$A64_DEB/$1"_*_arm64.deb 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then
		(cd "$A64_DEB" && apt-get download -q "$1:arm64" >/dev/null 2>&1) ||
			e2e_die "apt-get download $1:arm64 failed (dpkg --add-architecture arm64 && apt-get update?)"
		f=$(ls "$A64_DEB/$1"_*_arm64.deb | head -n 1)
	fi
	echo "$f"
}

# a64_kernel_pkg FLAVOUR: the versioned image package behind
# linux-image-FLAVOUR (e.g. linux-image-6.1.0-56-cloud-arm64).
a64_kernel_pkg()
{
	apt-cache depends "linux-image-$1:arm64" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n 1
}

# a64_unpack DEB DIR: dpkg-deb -x once (stamp on the .deb's name).
a64_unpack()
{
	if ! e2e_stamp_ok "$2/.stamp" "$(basename "$1")"; then
		rm -rf "$2"
		mkdir -p "$2"
		dpkg-deb -x "$1" "$2" || e2e_die "cannot unpack $1"
		e2e_stamp_write "$2/.stamp" "$(basename "$1")"
	fi
}

# a64_find_lib NAME: the host path of arm64 shared library NAME.
a64_find_lib()
{
	for d in $A64_LIBDIRS; do
		if [ -e "$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 1
}

# a64_closure ELF...: every arm64 library the ELFs need, recursively
# (DT_NEEDED through readelf), one host path a line; the dynamic loader
# included.
a64_closure()
{
	todo="$*"
	seen=" "
	while [ -n "$todo" ]; do
		next=""
		for f in $todo; do
			for n in $(readelf -d "$f" 2>/dev/null |
				sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
				case $seen in *" $n "*) continue ;; esac
				seen="$seen$n "
				p=$(a64_find_lib "$n") ||
					e2e_die "arm64 library $n (needed by $f) not found in $A64_LIBDIRS"
				echo "$p"
				next="$next $p"
			done
		done
		todo=$next
	done
}
