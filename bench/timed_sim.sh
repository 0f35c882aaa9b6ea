#!/bin/sh
# A simulator stand-in for the queue benchmark: a shell script, so that its own start
# costs a millisecond (as a compiled simulator's would) and a run of one second is one
# second. Writes a start event, sleeps BENCH_SIM_SECONDS, writes a result file for each
# load its config plans (a run is COMPLETED only with them) and a completion event; both
# events carry the wall-clock time ("at") from which the benchmark measures the gaps
# between runs.
progress= config= output=
while [ $# -gt 0 ]; do
    if [ $# -gt 1 ]; then
        case "$1" in
            --progress_file) progress=$2; shift ;;
            --config_path) config=$2; shift ;;
            --output_dir) output=$2; shift ;;
        esac
    fi
    shift
done
[ -n "$progress" ] && [ -n "$config" ] && [ -n "$output" ] || {
    echo "timed_sim.sh: --progress_file, --config_path and --output_dir are required" >&2
    exit 2
}
printf '{"type": "start", "at": %s, "config": {"total_erlangs": 1, "total_iterations": 1}}\n' \
    "$(date +%s.%N)" >> "$progress"
sleep "${BENCH_SIM_SECONDS:-2}"
# erlang_start to erlang_stop by erlang_step, from [general_settings]
for load in $(awk -F= '/^\[/ { section = $0 }
    section == "[general_settings]" { gsub(/[ \t\r]/, ""); v[$1] = $2 }
    END { for (l = v["erlang_start"]; l <= v["erlang_stop"] + 1e-9; l += v["erlang_step"])
          print l }' "$config"); do
    printf '{"blocking_mean": 0.0}\n' > "$output/${load}_erlang.json"
done
printf '{"type": "complete", "exit_code": 0, "at": %s}\n' "$(date +%s.%N)" >> "$progress"
