"""Prints the comparison table from compare.sh's JSON lines: medians of the runs, and the
ratio of Parley to the best peer for each figure."""
import json
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        record = json.loads(line)
        # compare.sh marks a run whose command failed with "failed": true; storm's own
        # "failed" is a count of refused clients and keeps the run.
        if record.get("failed") is not True:
            rows[record["label"]].append(record)

FIGURES = [
    ("fanout100", "deliveries_per_second", "deliveries/s", max),
    ("fanout100", "server_cpu_ns_per_delivery", "CPU ns/delivery", min),
    ("fanout1000", "deliveries_per_second", "deliveries/s", max),
    ("fanout1000", "server_cpu_ns_per_delivery", "CPU ns/delivery", min),
    ("rate100", "latency_us.p99", "latency p99 µs", min),
    ("rate100", "server_cpu_ns_per_delivery", "CPU ns/delivery", min),
    ("storm2000", "seconds", "s to register all", min),
    ("storm2000", "registered", "registered", max),
    ("storm2000", "server_cpu_us_per_registration", "CPU µs/registration", min),
    ("idle10000", "rss_per_connection_kib", "RSS KiB/connection", min),
]


def value(record, path):
    for part in path.split("."):
        record = record.get(part) if isinstance(record, dict) else None
    return record


servers = sorted({label.split("/")[0] for label in rows}, key=lambda s: (s != "parley", s))
print("| scenario | figure | " + " | ".join(servers) + " | Parley / best peer |")
print("|---|---|" + "---|" * len(servers) + "---|")
for scenario, path, name, better in FIGURES:
    medians = {}
    for server in servers:
        values = [value(r, path) for r in rows.get(f"{server}/{scenario}", []) if value(r, path) is not None]
        if values:
            medians[server] = statistics.median(values)
    cells = [f"{medians[s]:,.3g}" if s in medians else "-" for s in servers]
    peers = [medians[s] for s in servers if s != "parley" and s in medians]
    ratio = f"{medians['parley'] / better(peers):.2f}" if "parley" in medians and peers and better(peers) else "-"
    print(f"| {scenario} | {name} | " + " | ".join(cells) + f" | {ratio} |")
