# shellcheck shell=sh
# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the host-side end-to-end scripts (sourced, POSIX sh).
#
# Sets:  E2E_SRC  tests/e2e (absolute)    E2E_REPO  the repository root
#        O        output root (absolute; default <repo>/build)
#        E2E_DIR  $O/e2e, where every e2e artefact and cache lives
#        E2E_DEFAULT_VMM  the L2 VMM used when L2_VMM is unset
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
