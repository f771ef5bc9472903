# shellcheck shell=sh
# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the host-side end-to-end scripts (sourced, POSIX sh).
#
# Sets:  E2E_SRC  tests/e2e (absolute)    E2E_REPO  the repository root
#        O        output root (absolute; default <repo>/build)
#        E2E_DIR  $O/e2e, where every e2e artefact and cache lives
#        E2E_DEFAULT_VMM  the L2 VMM used when L2_VMM is unset
#        E2E_STORAGE_DEFAULT  whether run-e2e.sh runs the storage group
# Caches are keyed on input hashes: e2e_hash prints one sha256 over file
# contents and literal strings, and a build step is skipped when the key it
# wrote in its stamp file last time is unchanged.

E2E_SRC=$(cd "$(dirname "$0")" && pwd)
E2E_REPO=$(cd "$E2E_SRC/../.." && pwd)
O=${O:-build}
case $O in
/*) ;;
*) O=$E2E_REPO/$O ;;
esac
E2E_DIR=$O/e2e
export O E2E_DIR

# The L2 VMM the e2e scripts use when L2_VMM is unset: Debian's QEMU as a
# stand-in until nimbus boots Linux; then change this one line to nimbus.
# shellcheck disable=SC2034 # used by the scripts that source this file
E2E_DEFAULT_VMM=nimbus

# Whether run-e2e.sh runs the storage group (virtio-blk root, console, rng,
# fio, kill survival) by default; E2E_STORAGE=0|1 overrides it.  Off until
# nimbus has PCI and the virtio devices: then change this line to 1.
# shellcheck disable=SC2034 # used by run-e2e.sh
E2E_STORAGE_DEFAULT=1

e2e_die()
{
	echo "e2e: error: $*" >&2
	exit 1
}

e2e_log()
{
	echo "e2e: $*" >&2
}

# e2e_need_cmd CMD...: fail with one line naming the first missing command.
e2e_need_cmd()
{
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			e2e_die "'$c' not found (run: tests/deps.sh check)"
	done
}

# e2e_hash ITEM...: sha256 over files (name + contents) and literal strings.
e2e_hash()
{
	for i in "$@"; do
		if [ -f "$i" ]; then
			printf 'file %s\n' "$(basename "$i")"
			sha256sum <"$i"
		else
			printf 'str %s\n' "$i"
		fi
	done | sha256sum | cut -c1-16
}

# e2e_stamp_ok STAMP KEY: true when STAMP holds KEY (the output is current).
e2e_stamp_ok()
{
	[ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}

e2e_stamp_write()
{
	printf '%s\n' "$2" >"$1"
}

# e2e_load_kernel_env: read $E2E_DIR/kernel.env (from fetch-kernel.sh).
e2e_load_kernel_env()
{
	[ -f "$E2E_DIR/kernel.env" ] ||
		e2e_die "$E2E_DIR/kernel.env missing (run tests/e2e/fetch-kernel.sh)"
	. "$E2E_DIR/kernel.env"
	[ -f "$KERNEL_BZIMAGE" ] || e2e_die "kernel $KERNEL_BZIMAGE missing"
}

# e2e_busybox: print the path of a static busybox (host package, or the
# busybox-static .deb unpacked under $E2E_DIR/busybox).
e2e_busybox()
{
	bb=$(command -v busybox 2>/dev/null || true)
	if [ -n "$bb" ] && readelf -h "$bb" >/dev/null 2>&1 &&
		! readelf -l "$bb" 2>/dev/null | grep -q INTERP; then
		echo "$bb"
		return 0
	fi
	bbdir=$E2E_DIR/busybox
	if [ ! -x "$bbdir/bin/busybox" ]; then
		mkdir -p "$bbdir/deb"
		(cd "$bbdir/deb" && apt-get download -q busybox-static >/dev/null) ||
			e2e_die "cannot download busybox-static"
		dpkg-deb -x "$bbdir"/deb/busybox-static_*.deb "$bbdir/x" ||
			e2e_die "cannot unpack busybox-static"
		mkdir -p "$bbdir/bin"
		cp "$bbdir/x/bin/busybox" "$bbdir/bin/busybox"
	fi
	echo "$bbdir/bin/busybox"
}

# e2e_bb_populate BUSYBOX ROOT: install busybox and one symlink per applet.
e2e_bb_populate()
{
	mkdir -p "$2/bin" "$2/sbin" "$2/usr/bin" "$2/usr/sbin"
	cp "$1" "$2/bin/busybox"
	for a in $("$1" --list-full); do
		[ -e "$2/$a" ] || ln -s /bin/busybox "$2/$a"
	done
}

# e2e_cpio DIR OUT: pack DIR as a newc cpio archive with root-owned,
# reproducible (sorted, fixed mtime) entries.
e2e_cpio()
{
	find "$1" -exec touch -h -d @0 {} + 2>/dev/null || true
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible) >"$2.tmp" ||
		e2e_die "cpio failed for $1"
	mv "$2.tmp" "$2"
}

# e2e_cpio_console OUT: write a newc archive holding only /dev and the
# /dev/console node (c 5 1) the kernel opens before running /init; made by
# hand so that building needs no mknod (and no root).
e2e_cpio_console()
{
	{
		e2e_newc_hdr 1 040755 4 dev
		printf 'dev\000\000\000'
		e2e_newc_hdr 2 020600 12 dev/console 5 1
		printf 'dev/console\000\000\000'
		e2e_newc_hdr 0 0 11 TRAILER
		printf 'TRAILER!!!\000\000\000\000'
	} >"$1"
}

# e2e_newc_hdr INO MODE(octal) NAMESIZE NAME [RMAJ RMIN]: a 110-byte newc
# header (nlink 1, size 0, uid/gid 0, mtime 0); name padding is the
# caller's (header + name padded to a multiple of 4).
e2e_newc_hdr()
{
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$1" "$((0$2))" 0 0 1 0 0 0 0 "${5:-0}" "${6:-0}" "$3" 0
}

# e2e_mkimg DIR IMG SIZE [LABEL]: a sparse ext4 image of SIZE (truncate
# syntax: 16M) holding DIR's files (mkfs.ext4 -d, nothing is mounted).
# Inode tables and journal are written now, so that the guest kernel has no
# lazy initialisation to do in the background.
e2e_mkimg()
{
	rm -f "$2"
	truncate -s "$3" "$2" || e2e_die "cannot create $2"
	mkfs.ext4 -q -F -L "${4:-nimbus}" \
		-E lazy_itable_init=0,lazy_journal_init=0 -d "$1" "$2" ||
		e2e_die "mkfs.ext4 -d $1 $2 failed"
}

# e2e_img_cat IMG PATH: print the file PATH of the ext4 image IMG (debugfs,
# nothing is mounted); fails when the file is not there.
e2e_img_cat()
{
	debugfs -R "stat $2" "$1" 2>/dev/null | grep -q '^Inode:' ||
		return 1
	debugfs -R "cat $2" "$1" 2>/dev/null
}

# e2e_mod_path MODULES_DIR NAME: the .ko file of module NAME ('-' and '_'
# are the same in module names).
e2e_mod_path()
{
	find "$1/kernel" \( -name "$2.ko" -o -name "$(echo "$2" | tr _ -).ko" \
		-o -name "$(echo "$2" | tr - _).ko" \) | head -n 1
}

# e2e_mod_order MODULES_DIR NAME...: the .ko files of NAME... and of every
# module they depend on (the depends= field of .modinfo, as modules.dep
# would list it), one a line, each after its dependencies: an insmod order.
e2e_mod_order()
{
	_e2e_mod_seen=""
	_e2e_mod_dir=$1
	shift
	for _n in "$@"; do
		_e2e_mod_visit "$_n"
	done
}

_e2e_mod_visit()
{
	case " $_e2e_mod_seen " in
	*" $1 "*) return 0 ;;
	esac
	_e2e_mod_seen="$_e2e_mod_seen $1"
	set -- "$1" "$(e2e_mod_path "$_e2e_mod_dir" "$1")"
	[ -n "$2" ] || e2e_die "module $1 not found in $_e2e_mod_dir"
	for _d in $(tr '\0' '\n' <"$2" | sed -n 's/^depends=//p' | head -n 1 |
		tr , ' '); do
		_e2e_mod_visit "$_d"
	done
	echo "$2"
}
