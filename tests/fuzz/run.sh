#!/bin/sh
# run.sh BUILD MODE SECONDS NAME... - runs the libFuzzer targets that the
# Makefile built as BUILD/fuzzers/fuzz_NAME, one after the other.
#
#   replay   each target once over its seeds, tests/fuzz/corpus/NAME
#            (-runs=0: every file executed once, nothing new tried)
#   fuzz     each target SECONDS seconds, starting from its seeds; the
#            inputs it finds go to BUILD/corpus/NAME (kept for the next
#            run, never committed), crashes to BUILD/crashes/NAME-*
#   check    replay, then SECONDS of fuzzing shared by the targets (at
#            least 1 s each): what make check runs
#
# Prints one line per target and run: the executions libFuzzer counted
# (stat::number_of_executed_units), the seconds, the corpus.  libFuzzer's
# own output goes to BUILD/logs/NAME.MODE.log; a failing target has its
# last lines printed and the input that failed named.  Exits 1 when any
# target failed, after running them all.
set -eu

build=$1
mode=$2
seconds=$3
shift 3
[ $# -gt 0 ] || { echo "run.sh: no target" >&2; exit 64; }
here=$(dirname "$0")
mkdir -p "$build/logs" "$build/crashes"

failed=""
total=0

# run NAME KIND SECONDS: one libFuzzer run of target NAME.
run() {
	name=$1 kind=$2 secs=$3
	bin=$build/fuzzers/fuzz_$name
	seeds=$here/corpus/$name
	log=$build/logs/$name.$kind.log
	set -- -print_final_stats=1 -timeout=10 \
	    -artifact_prefix="$build/crashes/$name-"
	[ -f "$here/$name.dict" ] && set -- "$@" -dict="$here/$name.dict"
	# make check fuzzes from a fixed seed (FUZZ_SEED), so that a run
	# that passed passes again on the same machine; make fuzz does not.
	[ -n "${seed:-}" ] && set -- "$@" -seed="$seed"
	if [ "$kind" = replay ]; then
		set -- "$@" -runs=0 "$seeds"
	else
		mkdir -p "$build/corpus/$name"
		set -- "$@" -max_total_time="$secs" "$build/corpus/$name" \
		    "$seeds"
	fi
	start=$(date +%s)
	if "$bin" "$@" >"$log" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	took=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	corpus=$(ls "$seeds" | wc -l)
	[ "$kind" = replay ] || corpus="$corpus seeds + $(ls \
	    "$build/corpus/$name" | wc -l) found"
	printf '  %-7s %-7s %10s executions in %3d s (%s)\n' "$kind" \
	    "$name" "${execs:-?}" "$took" "$corpus"
	total=$(( total + ${execs:-0} ))
	if [ "$rc" -ne 0 ]; then
		echo "run.sh: fuzz_$name failed ($rc); from $log:" >&2
		grep -E '^fuzz: |ERROR: |SUMMARY: |^    #[0-9] |Test unit' \
		    "$log" | head -n 30 >&2
		failed="$failed $name"
	fi
}

case $mode in
replay)
	for n in "$@"; do run "$n" replay 0; done
	;;
fuzz)
	for n in "$@"; do run "$n" fuzz "$seconds"; done
	;;
check)
	seed=${FUZZ_SEED:-20261203}
	for n in "$@"; do run "$n" replay 0; done
	each=$(( seconds / $# ))
	[ "$each" -ge 1 ] || each=1
	for n in "$@"; do run "$n" fuzz "$each"; done
	;;
*)
	echo "run.sh: unknown mode $mode" >&2
	exit 64
	;;
esac
echo "  fuzz: $total executions in all"
if [ -n "$failed" ]; then
	echo "run.sh: failed:$failed (inputs in $build/crashes/)" >&2
	exit 1
fi
