#!/usr/bin/env bash
# Runs Hearth's fuzz targets under libFuzzer with AddressSanitizer.
#
#   scripts/fuzz.sh SECONDS [TARGET ...]
#
# Builds Fuzz/ (release, -sanitize=fuzzer,address), then runs each target (all of them by
# default) for SECONDS, starting from its seed corpus in Fuzz/corpus/<target>/ plus what earlier
# runs found (.fuzz/corpus/<target>/, kept between runs, not committed). An input that crashes,
# runs longer than 10 s or needs more than 2 GiB is written to .fuzz/artifacts/<target>/ (emptied
# when the target runs again) and the script exits 1; copy it to Fuzz/regressions/<target>/ under a name that says what it
# is, and the normal test suite keeps it fixed. FUZZ_JOBS=N runs N targets at once (default 1).
# Prints one line per target: runs, runs per second, corpus size, result.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/fuzz.sh SECONDS [TARGET ...]" >&2
    exit 2
fi
seconds=$1
shift
jobs=${FUZZ_JOBS:-1}

# SwiftPM links with gold, which cannot link libFuzzer's driver; use the toolchain's lld.
swift_bin=$(dirname "$(readlink -f "$(command -v swift)")")
toolset=$(mktemp)
printf '{ "schemaVersion": "1.0", "linker": { "path": "%s/ld.lld" } }\n' "$swift_bin" > "$toolset"
echo "building the fuzz targets (release, -sanitize=fuzzer,address)..."
# SwiftPM keeps the file list of the path dependency (the main package) in this manifest and
# misses files added since; it is cheap to regenerate.
rm -f Fuzz/.build/release.yaml
if ! swift build --package-path Fuzz -c release --toolset "$toolset" -Xswiftc -sanitize=fuzzer,address \
        > .fuzz-build.log 2>&1; then
    grep -E "error:" .fuzz-build.log | head -20
    echo "fuzz build failed (full log: .fuzz-build.log)"
    exit 1
fi
rm -f "$toolset" .fuzz-build.log
binary=Fuzz/.build/release/hearth-fuzz

if [ $# -eq 0 ]; then
    set -- $("$binary" list | cut -f1)
fi

export SWIFT_BACKTRACE=enable=no
run_target() {
    local target=$1
    # Artifacts are of this run only: copy a crash out before running the target again.
    rm -rf ".fuzz/artifacts/$target"
    mkdir -p ".fuzz/corpus/$target" ".fuzz/artifacts/$target"
    local log=".fuzz/$target.log"
    "$binary" "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix=".fuzz/artifacts/$target/" \
        ".fuzz/corpus/$target" "Fuzz/corpus/$target" > "$log" 2>&1
    local status=$?
    local runs rate corpus
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
    corpus=$(ls ".fuzz/corpus/$target" | wc -l)
    local found
    found=$(ls ".fuzz/artifacts/$target" | wc -l)
    if [ "$status" -eq 0 ] && [ "$found" -eq 0 ]; then
        printf '%-18s %12s runs %8s/s %7s inputs  ok\n' "$target" "${runs:-?}" "${rate:-?}" "$corpus"
    else
        printf '%-18s %12s runs %8s/s %7s inputs  FAILED: %s\n' "$target" "${runs:-?}" "${rate:-?}" "$corpus" \
            "$(ls .fuzz/artifacts/$target | tr '\n' ' ')"
        grep -E "SUMMARY|ERROR|Fatal error" "$log" | head -5 | sed 's/^/    /'
        return 1
    fi
}

mkdir -p .fuzz
failed=0
pids=()
for target in "$@"; do
    run_target "$target" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
if [ $failed -ne 0 ]; then
    echo "fuzzing found failures: inputs in .fuzz/artifacts/, logs in .fuzz/<target>.log"
    exit 1
fi
echo "fuzzing: every target ran ${seconds}s without a crash, hang or out-of-memory"
