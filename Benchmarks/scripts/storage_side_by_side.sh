#!/usr/bin/env bash
# Storage figures for the foundation milestone, measured side by side with Debian's Prometheus
# on the same data set (the ../shared/bench harness's generator, seed 1), in one run.
#
#   Benchmarks/scripts/storage_side_by_side.sh [SERIES] [SAMPLES_PER_SERIES] [REPEATS]
#
# Needs: a release build of hearth-bench, python3 with cramjam, Debian's prometheus.
set -euo pipefail
cd "$(dirname "$0")/.."
SERIES=${1:-100000}
SAMPLES=${2:-240}
REPEATS=${3:-3}
BENCH_DIR=$(cd ../../shared/bench && pwd)
DATA=/tmp/hearth-harness-$SERIES-$SAMPLES.hbd

swift build -c release --product hearth-bench >/dev/null
[ -f "$DATA" ] || python3 scripts/dump_harness_data.py "$SERIES" "$SAMPLES" "$DATA"

echo "== hearth: ingest of the harness data, resident memory, restart"
.build/release/hearth-bench harness "$DATA" 0
for i in $(seq "$REPEATS"); do
    .build/release/hearth-bench open 1 0
    .build/release/hearth-bench open 0 0
done

echo "== prometheus: same generator and seed through remote write, then restart (WAL replay)"
(cd "$BENCH_DIR" && python3 run_peers.py --peers prometheus --series "$SERIES" --samples-per-series "$SAMPLES" \
    --repeats "$REPEATS" --skip-queries --out "/tmp/prometheus-$SERIES.json")
