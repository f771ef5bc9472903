#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `make bench`: Nimbus vs QEMU microvm vs a raw KVM_RUN loop on this
# machine's /dev/kvm (medians of RUNS, default 10).  Writes the table to
# $O/bench/results.md; copy it into bench/RESULTS.md with the date.
set -eu
O=${O:-build}
mkdir -p "$O/bench"
cc -O2 -Wall -Wextra -o "$O/bench/kvm_floor" bench/kvm_floor.c
command -v qemu-system-x86_64 >/dev/null || {
	echo "bench: qemu-system-x86_64 missing (tests/deps.sh check installs it)" >&2
	exit 1
}
python3 bench/harness.py --build "$O" --runs "${RUNS:-10}" \
	--out "$O/bench/results.md"
