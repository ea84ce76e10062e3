#!/usr/bin/env python3
"""Dump the side-by-side harness's remote-write data set to a flat file for hearth-bench.

Uses ../shared/bench/remote_write.py as a library (never copied into this repo): the same
generator, seed and request split that run_peers.py sends to Prometheus and VictoriaMetrics,
decoded back to samples, so Hearth's storage figures come from the identical data.

usage: dump_harness_data.py SERIES SAMPLES_PER_SERIES OUT [--bench-dir DIR] [--start-ms MS]

File layout (little-endian):
  "HBD1" | series count u32 | per series: label count u16, then (u16 length, bytes) for
  each name and value | request count u32 | per request: sample count u32, then per sample
  series id u32, timestamp i64, value f64 (bit pattern)
Requests are interleaved across the harness's shards round-robin, as its concurrent
senders deliver them.
"""
import argparse
import array
import os
import struct
import sys


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("series", type=int)
    ap.add_argument("samples", type=int)
    ap.add_argument("out")
    ap.add_argument("--bench-dir", default=os.path.join(here, "..", "..", "..", "shared", "bench"))
    ap.add_argument("--start-ms", type=int, default=1_700_000_000_000)
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.bench_dir))
    import remote_write as rw

    cfg = rw.GenConfig(args.series, args.samples, start_ms=args.start_ms, seed=1)
    shards, info = rw.generate(cfg)
    print("generated", info, file=sys.stderr)
    ids = {}
    series = []
    requests = []
    order = []
    longest = max(len(s) for s in shards)
    for i in range(longest):
        for s in shards:
            if i < len(s):
                order.append(s[i][0])
    for body in order:
        ts = rw.decode_write_request(rw.snappy_decompress(body))
        sid = array.array("I")
        tss = array.array("q")
        vals = array.array("d")
        for labels, samples in ts:
            key = tuple(sorted(labels))
            n = ids.get(key)
            if n is None:
                n = len(series)
                ids[key] = n
                series.append(key)
            for v, t in samples:
                sid.append(n)
                tss.append(t)
                vals.append(v)
        requests.append((sid, tss, vals))
    with open(args.out, "wb") as f:
        f.write(b"HBD1")
        f.write(struct.pack("<I", len(series)))
        for key in series:
            f.write(struct.pack("<H", len(key)))
            for name, value in key:
                for s in (name.encode(), value.encode()):
                    f.write(struct.pack("<H", len(s)))
                    f.write(s)
        f.write(struct.pack("<I", len(requests)))
        for sid, tss, vals in requests:
            f.write(struct.pack("<I", len(sid)))
            rec = bytearray()
            for i in range(len(sid)):
                rec += struct.pack("<Iqd", sid[i], tss[i], vals[i])
            f.write(rec)
    print(f"wrote {len(series)} series, {sum(len(r[0]) for r in requests)} samples in {len(requests)} requests to {args.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
