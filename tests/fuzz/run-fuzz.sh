#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Run libFuzzer targets built by `make fuzz-bins`, each for SECONDS from
# its committed seeds (tests/fuzz/corpus/<target>/, read only) plus a
# working corpus in DIR/corpus/<target>/ that grows across runs.  Prints
# one line per target with its executions, then a summary; exits non-zero
# if any target found a crash, leak, timeout or out-of-memory (the input
# is kept in DIR/artifacts/, the log in DIR/logs/<target>.log).
#
# usage: run-fuzz.sh DIR SECONDS TARGET...
set -u
dir=$1 secs=$2
shift 2
mkdir -p "$dir/artifacts" "$dir/logs"
fail=0 total=0
for t in "$@"; do
	bin="$dir/fuzz_$t"
	work="$dir/corpus/$t"
	seeds="tests/fuzz/corpus/$t"
	log="$dir/logs/$t.log"
	mkdir -p "$work"
	[ -d "$seeds" ] || seeds=
	# -timeout: one input may take at most 10 s (a hang is a failure);
	# -rss_limit_mb: an input may not make the process grow past 2 GiB.
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" \
		"$work" $seeds >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		tail -n1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
	if [ $rc -ne 0 ]; then
		fail=$((fail + 1))
		echo "FAIL: fuzz_$t: exit status $rc after ${execs:-?} execs (log: $log)"
		grep -m3 -E 'ERROR|SUMMARY|invariant|Test unit written' "$log" |
			sed 's/^/  /'
	else
		echo "PASS: fuzz_$t: ${execs:-0} execs in ${secs} s, ${cov:-cov: ?}"
	fi
	total=$((total + 1))
done
echo "fuzz: $((total - fail)) passed, $fail failed"
[ $fail -eq 0 ]
