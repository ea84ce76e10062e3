#!/usr/bin/env python3
"""Draws the side-by-side harness results (../shared/bench run_peers.py --out JSON files) as an
SVG of grouped bars, each figure relative to VictoriaMetrics (= 1.0), standard library only.

    python3 Benchmarks/scripts/plot_harness.py docs/bench-harness.svg 10k=/tmp/10k.json 100k=/tmp/100k.json
"""
import json
import statistics
import sys

PEERS = ["hearth", "prometheus", "victoriametrics"]
COLORS = {"hearth": "#d9480f", "prometheus": "#1c7ed6", "victoriametrics": "#7048e8"}
# (label, key in a run, higher is better)
FIGURES = [
    ("ingest samples/s", "ingest_samples_per_s", True),
    ("RSS B/series", "rss_bytes_per_series", False),
    ("restart to queryable s", "restart_queryable_s", False),
]


def load(path):
    runs = {}
    with open(path) as f:
        text = f.read()
    # run_peers.py --out writes {"runs": [...], "summary": ...} or a list of runs.
    data = json.loads(text)
    items = data.get("runs", data) if isinstance(data, dict) else data
    for run in items:
        if isinstance(run, dict) and "peer" in run:
            runs.setdefault(run["peer"], []).append(run)
    return runs


def query_keys(runs):
    keys = set()
    for rs in runs.values():
        for r in rs:
            keys.update(r.get("queries", {}).keys())
    return sorted(keys)


def median_of(rs, get):
    values = [v for v in (get(r) for r in rs) if v is not None]
    return statistics.median(values) if values else None


def main():
    out = sys.argv[1]
    sets = [arg.split("=", 1) for arg in sys.argv[2:]]
    rows = []  # (title, {peer: ratio}, higher_better)
    for name, path in sets:
        runs = load(path)
        for label, key, higher in FIGURES:
            vm = median_of(runs.get("victoriametrics", []), lambda r: r.get(key))
            ratios = {p: (median_of(runs.get(p, []), lambda r: r.get(key)) or 0) / vm for p in PEERS if vm}
            rows.append((f"{name}: {label}", ratios, higher))
        for q in query_keys(runs):
            get = lambda r: (r.get("queries", {}).get(q) or {}).get("median_ms")
            vm = median_of(runs.get("victoriametrics", []), get)
            if not vm:
                continue
            ratios = {p: (median_of(runs.get(p, []), get) or 0) / vm for p in PEERS}
            rows.append((f"{name}: {q} ms", ratios, False))

    bar_h, gap, left, width = 9, 10, 300, 420
    height = len(rows) * (len(PEERS) * bar_h + gap) + 60
    scale = width / max(max(r.values()) for _, r, _ in rows) if rows else 1
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 140}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<text x="10" y="16" font-size="13">Relative to VictoriaMetrics (= 1, dashed); ingest: higher is better, the rest: lower is better</text>']
    y = 30
    for p, i in zip(PEERS, range(3)):
        svg.append(f'<rect x="{left + 150 * i}" y="{y - 9}" width="10" height="10" fill="{COLORS[p]}"/><text x="{left + 150 * i + 14}" y="{y}">{p}</text>')
    y += 15
    for title, ratios, _ in rows:
        svg.append(f'<text x="{left - 8}" y="{y + bar_h * 2}" text-anchor="end">{title}</text>')
        for p in PEERS:
            v = ratios.get(p, 0)
            svg.append(f'<rect x="{left}" y="{y}" width="{max(1, v * scale):.1f}" height="{bar_h - 1}" fill="{COLORS[p]}"/>')
            svg.append(f'<text x="{left + v * scale + 4:.1f}" y="{y + bar_h - 1}">{v:.2f}</text>')
            y += bar_h
        y += gap
    svg.append(f'<line x1="{left + scale:.1f}" y1="40" x2="{left + scale:.1f}" y2="{y}" stroke="#555" stroke-dasharray="4 3"/>')
    svg.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(svg))


if __name__ == "__main__":
    main()
