#!/bin/sh
# A simulator stand-in for the queue benchmark: a shell script, so that its own start
# costs a millisecond (as a compiled simulator's would) and a run of one second is one
# second. Writes a start event, sleeps BENCH_SIM_SECONDS, writes a completion event; both
# carry the wall-clock time ("at") from which the benchmark measures the gaps between runs.
progress=
while [ $# -gt 0 ]; do
    if [ "$1" = --progress_file ] && [ $# -gt 1 ]; then
        progress=$2
        shift
    fi
    shift
done
[ -n "$progress" ] || { echo "timed_sim.sh: --progress_file is required" >&2; exit 2; }
printf '{"type": "start", "at": %s, "config": {"total_erlangs": 1, "total_iterations": 1}}\n' \
    "$(date +%s.%N)" >> "$progress"
sleep "${BENCH_SIM_SECONDS:-2}"
printf '{"type": "complete", "exit_code": 0, "at": %s}\n' "$(date +%s.%N)" >> "$progress"
