#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fetch Debian's cloud kernel for the e2e tests (never installed on the host).
#
#   tests/e2e/fetch-kernel.sh      [O=build] [KERNEL_PKG=linux-image-...]
#
# Downloads the package linux-image-cloud-amd64 points at into
# $O/e2e/deb/, unpacks it into $O/e2e/kernel/, decompresses its modules
# (busybox insmod cannot read .ko.xz/.ko.zst), extracts the uncompressed
# vmlinux ELF from the bzImage and writes $O/e2e/kernel.env:
#   KERNEL_BZIMAGE= KERNEL_VMLINUX= KERNEL_VERSION= MODULES_DIR= KERNEL_PVH=
# Cached on the package version, and while apt's lists and this script are
# unchanged a second run does not even ask apt (~2 s).
set -eu
. "$(dirname "$0")/lib.sh"

e2e_need_cmd apt-cache apt-get dpkg-deb od tail head readelf sha256sum

deb_dir=$E2E_DIR/deb
kdir=$E2E_DIR/kernel
env_file=$E2E_DIR/kernel.env
mkdir -p "$deb_dir"

# --- which package and version ---------------------------------------
find_pkg()
{
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# apt-cache takes ~2 s: skip it while apt's lists and this script are
# unchanged since the last successful run.
fast_key=$(e2e_hash "$(ls -l --full-time /var/lib/apt/lists/ 2>/dev/null)" \
	"${KERNEL_PKG:-}" "$0")
if e2e_stamp_ok "$kdir/.fast" "$fast_key" && [ -f "$env_file" ]; then
	cat "$env_file"
	exit 0
fi

pkg=${KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(find_pkg)
	if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
		e2e_log "apt lists empty, running apt-get update"
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(find_pkg)
	fi
fi
if [ -z "$pkg" ]; then
	# Offline with a previous download: keep using it.
	if [ -f "$env_file" ]; then
		e2e_log "apt knows no linux-image-cloud-amd64; using cached kernel"
		cat "$env_file"
		exit 0
	fi
	e2e_die "cannot find linux-image-cloud-amd64 in apt (apt-get update?)"
fi
ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null |
	awk '/^Version:/ { print $2; exit }')
[ -n "$ver" ] || e2e_die "apt has no version for $pkg"
kver=${pkg#linux-image-}
deb=$deb_dir/${pkg}_$(printf %s "$ver" | sed 's/:/%3a/')_amd64.deb
key=$(e2e_hash "$pkg" "$ver" "$0")

if e2e_stamp_ok "$kdir/.stamp" "$key" && [ -f "$env_file" ]; then
	e2e_stamp_write "$kdir/.fast" "$fast_key"
	cat "$env_file"
	exit 0
fi

# --- download and unpack -----------------------------------------------
if [ ! -f "$deb" ]; then
	e2e_log "downloading $pkg $ver"
	(cd "$deb_dir" && apt-get download -q "$pkg=$ver" >/dev/null 2>&1) ||
		e2e_die "apt-get download $pkg=$ver failed"
	[ -f "$deb" ] || e2e_die "download did not produce $deb"
fi
e2e_log "unpacking $(basename "$deb")"
rm -rf "$kdir"
mkdir -p "$kdir"
dpkg-deb -x "$deb" "$kdir" || e2e_die "dpkg-deb -x $deb failed"

bzimage=$kdir/boot/vmlinuz-$kver
moddir=$kdir/lib/modules/$kver
[ -f "$bzimage" ] || e2e_die "$deb has no boot/vmlinuz-$kver"
[ -d "$moddir" ] || e2e_die "$deb has no lib/modules/$kver"

# --- modules: decompress in place --------------------------------------
if find "$moddir" -name '*.ko.xz' | grep -q .; then
	e2e_need_cmd xz
	find "$moddir" -name '*.ko.xz' -print0 | xargs -0 -r -n 64 xz -d -q
fi
if find "$moddir" -name '*.ko.zst' | grep -q .; then
	e2e_need_cmd zstd
	find "$moddir" -name '*.ko.zst' -print0 |
		xargs -0 -r -n 64 zstd -d -q --rm
fi
for m in arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-amd.ko virt/lib/irqbypass.ko; do
	[ -f "$moddir/kernel/$m" ] || e2e_die "module $m missing in $pkg"
done

# --- vmlinux from the bzImage --------------------------------------------
# Boot protocol >= 2.08: the setup header at 0x1f1 gives the size of the
# real-mode part (setup_sects), 0x248/0x24c the offset and length of the
# compressed kernel inside the protected-mode part.  Fall back to scanning
# for compressor magics when the header looks wrong.
le32()
{
	od -An -tu4 --endian=little -j "$2" -N4 "$1" | tr -d ' '
}

# try_decompress FILE OFFSET [LENGTH]: decompress the stream at byte OFFSET
# (0-based) into $vmlinux.tmp; true when the result is an ELF file.
try_decompress()
{
	if [ -n "${3:-}" ]; then
		tail -c +"$(($2 + 1))" "$1" | head -c "$3" >"$vmlinux.z"
	else
		tail -c +"$(($2 + 1))" "$1" >"$vmlinux.z"
	fi
	magic=$(od -An -tx1 -N6 "$vmlinux.z" | tr -d ' \n')
	case $magic in
	1f8b08*) dec="gzip -dc" ;;
	fd377a585a00) dec="xz -dc --single-stream" ;;
	28b52ffd*) dec="zstd -dc" ;;
	425a68*) dec="bzip2 -dc" ;;
	5d0000*) dec="xz -dc --format=lzma" ;;
	02214c18*) dec="lz4 -dc" ;;
	894c5a4f*) dec="lzop -dc" ;;
	*) return 1 ;;
	esac
	e2e_need_cmd "${dec%% *}"
	# Trailing bytes (the appended size word) make some decompressors
	# complain after writing everything: judge by the output instead.
	$dec <"$vmlinux.z" >"$vmlinux.tmp" 2>/dev/null || true
	[ "$(od -An -tx1 -N4 "$vmlinux.tmp" | tr -d ' \n')" = 7f454c46 ]
}

vmlinux=$kdir/boot/vmlinux-$kver
found=""
setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$bzimage" | tr -d ' ')
hdrs=$(od -An -c -j $((0x202)) -N4 "$bzimage" | tr -d ' ')
proto=$(od -An -tu2 --endian=little -j $((0x206)) -N2 "$bzimage" | tr -d ' ')
if [ "$hdrs" = HdrS ] && [ "$proto" -ge $((0x208)) ]; then
	[ "$setup_sects" -eq 0 ] && setup_sects=4
	poff=$(le32 "$bzimage" $((0x248)))
	plen=$(le32 "$bzimage" $((0x24c)))
	off=$(((setup_sects + 1) * 512 + poff))
	try_decompress "$bzimage" "$off" "$plen" && found="setup header"
fi
if [ -z "$found" ]; then
	e2e_log "bzImage header unusable, scanning for a compressed payload"
	for pat in '\x1f\x8b\x08' '\xfd7zXZ\x00' '\x28\xb5\x2f\xfd' \
		'BZh' '\x5d\x00\x00\x00' '\x02\x21\x4c\x18' '\x89LZO'; do
		for o in $(LC_ALL=C grep -obUaP "$pat" "$bzimage" | cut -d: -f1); do
			if try_decompress "$bzimage" "$o"; then
				found="scan at $o"
				break 2
			fi
		done
	done
fi
rm -f "$vmlinux.z"
[ -n "$found" ] || e2e_die "no compressed vmlinux found in $bzimage"
mv "$vmlinux.tmp" "$vmlinux"

# PVH entry: ELF note "Xen", type XEN_ELFNOTE_PHYS32_ENTRY (18).
pvh=no
if readelf -n "$vmlinux" 2>/dev/null |
	grep -Eq '^ *Xen .*(\(0x00000012\)|PHYS32_ENTRY)'; then
	pvh=yes
fi

cat >"$env_file.tmp" <<EOF
KERNEL_BZIMAGE=$bzimage
KERNEL_VMLINUX=$vmlinux
KERNEL_VERSION=$kver
KERNEL_PKG_VERSION=$ver
MODULES_DIR=$moddir
KERNEL_PVH=$pvh
EOF
mv "$env_file.tmp" "$env_file"
e2e_stamp_write "$kdir/.stamp" "$key"
e2e_stamp_write "$kdir/.fast" "$fast_key"
e2e_log "kernel $kver ($ver): vmlinux via $found, PVH note: $pvh"
cat "$env_file"
