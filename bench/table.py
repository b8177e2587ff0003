"""Prints the comparison table from compare.sh's JSON lines: medians of the runs, and the
ratio of each Parley backend (parley-poll, parley-epoll) to the best peer for each figure;
then, for each Parley backend, its CPU per delivery with idle clients held over the same
scenario with none."""
import json
import re
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
failed = defaultdict(int)
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        record = json.loads(line)
        # compare.sh marks a run whose command failed with "failed": true; storm's own
        # "failed" is a count of refused clients and keeps the run.
        if record.get("failed") is not True:
            server, _, scenario = record["label"].partition("/")
            # Lines from before the two backends were told apart say "parley": that is poll.
            if server == "parley":
                server = "parley-poll"
            rows[(server, scenario)].append(record)
        else:
            failed[record["label"]] += 1

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

# fanout100+idleN and rate100+idleN show the same figures as fanout100 and rate100, right
# after them.
IDLE = re.compile(r"^(fanout100|rate100)\+idle(\d+)$")
idle_scenarios = sorted({s for _, s in rows if IDLE.match(s)},
                        key=lambda s: (IDLE.match(s).group(1) != "fanout100", int(IDLE.match(s).group(2))))
figures = []
for i, figure in enumerate(FIGURES):
    figures.append(figure)
    base = figure[0]
    if base in ("fanout100", "rate100") and (i + 1 == len(FIGURES) or FIGURES[i + 1][0] != base):
        figures += [(s,) + f[1:] for s in idle_scenarios if IDLE.match(s).group(1) == base
                    for f in FIGURES if f[0] == base]

def value(record, path):
    for part in path.split("."):
        record = record.get(part) if isinstance(record, dict) else None
    return record


def median(server, scenario, path):
    values = [value(r, path) for r in rows.get((server, scenario), []) if value(r, path) is not None]
    return statistics.median(values) if values else None


ORDER = {"parley-poll": 0, "parley-epoll": 1}
servers = sorted({server for server, _ in rows}, key=lambda s: (ORDER.get(s, 2 if s.startswith("parley") else 3), s))
parleys = [s for s in servers if s.startswith("parley")]
peers = [s for s in servers if not s.startswith("parley")]
names = {"parley-poll": "Parley (poll)", "parley-epoll": "Parley (epoll)"}
print("| scenario | figure | " + " | ".join(servers) + " | "
      + " | ".join(f"{names.get(p, p)} / best peer" for p in parleys) + " |")
print("|---|---|" + "---|" * (len(servers) + len(parleys)))
for scenario, path, name, better in figures:
    medians = {s: m for s in servers if (m := median(s, scenario, path)) is not None}
    if not medians:
        continue  # a scenario this run left out
    cells = [f"{medians[s]:,.3g}" if s in medians else "-" for s in servers]
    best = better([medians[s] for s in peers if s in medians], default=None)
    ratios = [f"{medians[p] / best:.2f}" if p in medians and best else "-" for p in parleys]
    print(f"| {scenario} | {name} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")

# The bar: CPU per delivery with N idle clients within 15% of the same scenario with none.
if idle_scenarios and parleys:
    print()
    print("CPU per delivery with idle clients ÷ the same scenario without (bar: at most 1.15)")
    print()
    print("| server | " + " | ".join(f"{s} ÷ {IDLE.match(s).group(1)}" for s in idle_scenarios) + " |")
    print("|---|" + "---|" * len(idle_scenarios))
    for server in parleys:
        cells = []
        for scenario in idle_scenarios:
            with_idle = median(server, scenario, "server_cpu_ns_per_delivery")
            without = median(server, IDLE.match(scenario).group(1), "server_cpu_ns_per_delivery")
            if with_idle is not None and without:
                ratio = with_idle / without
                cells.append(f"{ratio:.2f} ({with_idle:,.0f} / {without:,.0f} ns; {'met' if ratio <= 1.15 else 'not met'})")
            else:
                cells.append("-")
        print(f"| {server} | " + " | ".join(cells) + " |")

if failed:
    print()
    print("Failed runs (left out of the medians): "
          + ", ".join(f"{label} x{count}" if count > 1 else label for label, count in sorted(failed.items())))
