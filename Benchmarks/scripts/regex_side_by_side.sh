#!/usr/bin/env bash
# Label-matcher regex throughput: Hearth's engine, Swift's Regex and NSRegularExpression (one
# process), then Go's regexp (Debian's golang-go) on the same shapes and values, in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product hearth-bench >/dev/null
.build/release/hearth-bench regex /tmp/hearth-regex-shapes.json 0
if command -v go >/dev/null; then
    (cd goregex && GOFLAGS=-mod=mod GOPROXY=off go run main.go /tmp/hearth-regex-shapes.json)
else
    echo "go not installed: apt-get install golang-go for Go's figures"
fi
