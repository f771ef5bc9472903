#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Run libFuzzer targets built by `make fuzz-bins`, each for SECONDS from
# its committed seeds (tests/fuzz/corpus/<target>/, read only) plus a
# working corpus in DIR/corpus/<target>/ that grows across runs.  Prints
# one line per target with its executions, then a summary; exits non-zero
# if any target found a crash, leak, timeout or out-of-memory (the input
# is kept in DIR/artifacts/, the log in DIR/logs/<target>.log).
#
# usage: [FUZZ_RUNS=N] [FUZZ_JOBS=J] run-fuzz.sh DIR SECONDS TARGET...
#   FUZZ_RUNS  stop a target after N executions (SECONDS still bounds it)
#   FUZZ_JOBS  run J targets at once (default 1)
set -u
dir=$1 secs=$2
shift 2
runs=${FUZZ_RUNS:-}
jobs=${FUZZ_JOBS:-1}
mkdir -p "$dir/artifacts" "$dir/logs"

# run_one TARGET: one target; its result line in DIR/logs/TARGET.result.
run_one()
{
	local t=$1 bin="$dir/fuzz_$1" work="$dir/corpus/$1"
	local seeds="tests/fuzz/corpus/$1" log="$dir/logs/$1.log"
	local rc execs cov t0 took

	mkdir -p "$work"
	[ -d "$seeds" ] || seeds=
	t0=$(date +%s)
	# -timeout: one input may take at most 10 s (a hang is a failure);
	# -rss_limit_mb: an input may not make the process grow past 2 GiB.
	# shellcheck disable=SC2086 # $seeds and the -runs option: 0 or 1 word
	"$bin" -max_total_time="$secs" ${runs:+-runs=$runs} -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$t-" \
		"$work" $seeds >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - t0))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		tail -n1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
	if [ $rc -ne 0 ]; then
		{
			echo "FAIL: fuzz_$t: exit status $rc after ${execs:-?} execs (log: $log)"
			grep -m3 -E 'ERROR|SUMMARY|invariant|Test unit written' \
				"$log" | sed 's/^/  /'
		} >"$dir/logs/$t.result"
	else
		echo "PASS: fuzz_$t: ${execs:-0} execs in ${took} s, ${cov:-cov: ?}" \
			>"$dir/logs/$t.result"
	fi
}

running=0
for t in "$@"; do
	rm -f "$dir/logs/$t.result"
	if [ "$jobs" -le 1 ]; then
		run_one "$t"
		cat "$dir/logs/$t.result"
		continue
	fi
	run_one "$t" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
fail=0 total=0
for t in "$@"; do
	[ "$jobs" -le 1 ] || cat "$dir/logs/$t.result"
	grep -q '^FAIL' "$dir/logs/$t.result" && fail=$((fail + 1))
	total=$((total + 1))
done
echo "fuzz: $((total - fail)) passed, $fail failed"
[ $fail -eq 0 ]
