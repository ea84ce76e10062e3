#!/usr/bin/env python3
"""Collects what Debian's Prometheus makes of relabeling configs, for Hearth's relabel tests.

Writes one Prometheus configuration with a job per case (static targets with labels, the
case's relabel_configs), starts `prometheus` on it, reads /api/v1/targets and stores, per
target, the labels and scrape URL Prometheus computed (or that it dropped the target).
Output: Tests/HearthRelabelTests/testdata/relabel-cases.json (the config text and the results).

Usage: scripts/collect-relabel-cases.py   (needs Debian's prometheus on PATH)
"""
import json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request

def t(port, **labels):
    return {"targets": [f"127.0.0.1:{port}"], "labels": labels}

CASES = [
    ("replace_default_copies_address", [{"source_labels": ["__address__"], "target_label": "addr"}],
     [t(10001, env="prod")]),
    ("replace_capture_groups_and_separator",
     [{"source_labels": ["env", "zone"], "separator": "/", "regex": "(\\w+)/eu-(.*)", "target_label": "where", "replacement": "${2}-${1}"}],
     [t(10011, env="prod", zone="eu-west"), t(10012, env="dev", zone="us-east")]),
    ("replace_named_groups", [{"source_labels": ["host"], "regex": "(?P<name>[a-z]+)-(?P<num>\\d+)", "target_label": "node", "replacement": "$num.$name"}],
     [t(10021, host="web-17"), t(10022, host="Web-17")]),
    ("replace_target_from_template", [{"source_labels": ["kind"], "regex": "(.+)", "target_label": "is_${1}", "replacement": "yes"}],
     [t(10031, kind="db"), t(10032, kind="bad-name"), t(10033)]),
    ("replace_empty_result_deletes", [{"source_labels": ["drop_me"], "regex": ".*", "target_label": "env", "replacement": ""}],
     [t(10041, env="prod", drop_me="x")]),
    ("replace_static_value_and_instance", [
        {"target_label": "team", "replacement": "storage"},
        {"source_labels": ["__address__"], "regex": "([^:]+):(\\d+)", "target_label": "instance", "replacement": "host-$2"}],
     [t(10051)]),
    ("keep_and_drop", [
        {"source_labels": ["env"], "regex": "prod|staging", "action": "keep"},
        {"source_labels": ["canary"], "regex": "true", "action": "drop"}],
     [t(10061, env="prod"), t(10062, env="dev"), t(10063, env="staging", canary="true"), t(10064)]),
    ("drop_missing_label_with_empty_regex", [{"source_labels": ["team"], "regex": "", "action": "drop"}],
     [t(10071, team="a"), t(10072)]),
    ("keepequal_dropequal", [
        {"source_labels": ["a"], "target_label": "b", "action": "keepequal"},
        {"source_labels": ["c"], "target_label": "d", "action": "dropequal"}],
     [t(10081, a="1", b="1", c="x", d="y"), t(10082, a="1", b="2"), t(10083, a="1", b="1", c="x", d="x"), t(10084)]),
    ("hashmod", [{"source_labels": ["__address__"], "modulus": 8, "target_label": "shard", "action": "hashmod"},
                 {"source_labels": ["name"], "modulus": 1000003, "target_label": "big", "action": "hashmod"}],
     [t(10090 + i, name=n) for i, n in enumerate(["alpha", "beta", "gamma", "δέλτα", "", "x" * 300])]),
    ("labelmap", [{"regex": "__meta_kubernetes_pod_label_(.+)", "action": "labelmap"},
                  {"regex": "__meta_(\\w+)_zone", "replacement": "zone_${1}", "action": "labelmap"}],
     [{"targets": ["127.0.0.1:10101"], "labels": {"__meta_kubernetes_pod_label_app": "api", "__meta_kubernetes_pod_label_tier": "web", "__meta_ec2_zone": "a"}}]),
    ("labeldrop_labelkeep", [{"regex": "tmp_.*", "action": "labeldrop"},
                             {"regex": "__.*|job|keep_.*|instance", "action": "labelkeep"}],
     [t(10111, tmp_a="1", tmp_b="2", keep_me="y", other="z")]),
    ("lowercase_uppercase", [{"source_labels": ["Name"], "target_label": "lower", "action": "lowercase"},
                             {"source_labels": ["Name", "env"], "target_label": "upper", "action": "uppercase"}],
     [t(10121, Name="MiXeD Case ÄÖ", env="Prod")]),
    ("regex_features", [
        {"source_labels": ["path"], "regex": "(?i)/API/(v\\d)/.*", "target_label": "api", "replacement": "$1"},
        {"source_labels": ["path"], "regex": "/(?:static|assets)/.*", "target_label": "static", "replacement": "true"},
        {"source_labels": ["path"], "regex": ".*\\.(png|jpe?g)$", "target_label": "image", "replacement": "${1}x"},
        {"source_labels": ["multi"], "regex": "a\\nb", "target_label": "newline", "replacement": "ok"},
        {"source_labels": ["multi"], "regex": "a.b", "target_label": "dot_matches_newline", "replacement": "ok"}],
     [t(10131, path="/api/V2/users", multi="a\nb"), t(10132, path="/static/img/logo.png"), t(10133, path="/other/a.jpeg")]),
    ("metrics_path_scheme_params", [
        {"source_labels": ["__address__"], "regex": "(.*):10141", "target_label": "__metrics_path__", "replacement": "/probe"},
        {"source_labels": ["module"], "target_label": "__param_module"},
        {"target_label": "__scheme__", "replacement": "https"}],
     [t(10141, module="http_2xx"), t(10142)]),
    ("address_rewrite", [{"source_labels": ["__address__"], "regex": "127\\.0\\.0\\.1:(\\d+)", "target_label": "__address__", "replacement": "localhost:$1"},
                         {"source_labels": ["__address__"], "target_label": "seen"}],
     [t(10151)]),
    ("chained_sees_earlier_results", [
        {"target_label": "stage", "replacement": "one"},
        {"source_labels": ["stage"], "regex": "one", "target_label": "stage", "replacement": "two"},
        {"source_labels": ["stage", "job"], "separator": "@", "target_label": "combined"}],
     [t(10161)]),
    ("drop_by_job", [{"source_labels": ["job"], "regex": "relabel_.*drop_by_job", "action": "drop"}], [t(10171)]),
]

PARAMS = {"metrics_path_scheme_params": {"format": ["prometheus", "other"]}}

def key(discovered):
    """Job and port: the port is unique per input target and survives address rewrites."""
    return discovered["job"] + "/" + discovered["__address__"].rsplit(":", 1)[1]

def main():
    prometheus = shutil.which("prometheus")
    if not prometheus:
        sys.exit("prometheus not found (apt-get install prometheus)")
    import yaml  # PyYAML, for writing the config
    config = {"global": {"scrape_interval": "1h", "scrape_timeout": "10s"}, "scrape_configs": []}
    for name, relabel, targets in CASES:
        job = {"job_name": "relabel_" + name, "static_configs": targets, "relabel_configs": relabel}
        if name in PARAMS:
            job["params"] = PARAMS[name]
        config["scrape_configs"].append(job)
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    work = tempfile.mkdtemp()
    with open(os.path.join(work, "prometheus.yml"), "w") as f:
        f.write(text)
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    proc = subprocess.Popen([prometheus, f"--config.file={work}/prometheus.yml", f"--storage.tsdb.path={work}/data",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        want = sum(len(tg["targets"]) for _, _, tgs in CASES for tg in tgs)
        for _ in range(100):
            time.sleep(0.3)
            try:
                data = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/targets?state=any"))["data"]
            except Exception:
                continue
            if len(data["activeTargets"]) + len(data["droppedTargets"]) >= want:
                break
        version = subprocess.run([prometheus, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    finally:
        proc.terminate(); proc.wait()
    results = {}
    for tgt in data["activeTargets"]:
        d = tgt["discoveredLabels"]
        results[key(d)] = {"labels": tgt["labels"], "scrapeUrl": tgt["scrapeUrl"]}
    for tgt in data["droppedTargets"]:
        d = tgt["discoveredLabels"]
        results[key(d)] = {"dropped": True}
    out = {"prometheus": version, "config": text, "targets": dict(sorted(results.items()))}
    path = os.path.join(os.path.dirname(__file__), "..", "Tests", "HearthRelabelTests", "testdata", "relabel-cases.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(results)} targets ({want} expected) from {version} -> {os.path.normpath(path)}")

main()
