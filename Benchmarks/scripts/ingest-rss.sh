#!/bin/bash
# Resident memory of `hearth server` after loading the ../shared/bench data set, with a fixed
# start time so that runs are comparable: where the data falls in the 2 h chunk range decides
# how full the open chunks are when ingest ends (the harness starts its data at "now - 1 h",
# so its figure for Hearth moves with the clock by up to a third).
#
#   Benchmarks/scripts/ingest-rss.sh BINARY [SERIES] [START_UNIX_SECONDS] [PORT]
#
# Prints idle RSS, RSS and peak RSS after ingest, bytes per series and the ingest rate.
set -euo pipefail
BIN=$1; SERIES=${2:-100000}; START=${3:-1795272238}; PORT=${4:-19390}
BENCH=${BENCH:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/bench}
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
"$BIN" server --web.listen-address=127.0.0.1:$PORT --storage.tsdb.path="$DIR/data" >"$DIR/log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$PORT/-/ready >/dev/null && break; sleep 0.1; done
IDLE=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
RATE=$(python3 "$BENCH/remote_write.py" --url http://127.0.0.1:$PORT/api/v1/write --series "$SERIES" --start "$START" 2>/dev/null \
    | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["send"]["samples_per_second"]))')
sleep 2
RSS=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
HWM=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
echo "$(basename "$BIN") start=$START idle_kB=$IDLE rss_kB=$RSS hwm_kB=$HWM rss_B_per_series=$((RSS * 1024 / SERIES)) samples_per_s=$RATE"
