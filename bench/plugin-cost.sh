#!/usr/bin/env bash
# What the standard plugins cost: fan-out through Parley's plain protocol at 100 clients in
# one room, with no plugins and with ProfanityFilter + Timestamp + EchoBot, release build,
# server pinned to CPU 0 and the generator to CPU 1, a fresh server per run, median of 3.
# Usage: bench/plugin-cost.sh [messages]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-200000}
swift build -c release --product parley >/dev/null
swift build -c release --product parley-bench >/dev/null
swift build -c release >/dev/null   # the plugin .so files
bin=.build/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

common='[limits]
max_clients_per_ip = 5000
sendq_bytes = 4194304
[log]
level = "warning"'
printf 'plugins = []\n%s\n' "$common" > "$work/none.toml"
printf 'plugins = ["ProfanityFilter", "Timestamp", "EchoBot"]\n%s\n[plugin.EchoBot]\nrooms = ["#bench"]\n' "$common" > "$work/plugins.toml"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_one() {  # $1 = config name; prints one JSON line
  local port; port=$(free_port)
  taskset -c 0 "$bin/parley" --config "$work/$1.toml" --plain "127.0.0.1:$port" 2>"$work/$1.log" &
  local pid=$!
  for _ in $(seq 100); do grep -q listening "$work/$1.log" && break; sleep 0.05; done
  taskset -c 1 "$bin/parley-bench" fanout --port "$port" --clients 100 --senders 10 --messages "$messages" \
    --in-flight 64 --server-pid "$pid" --label "$1" | head -1
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

median() { sort -n | sed -n 2p; }
declare -A rate cpu
for config in none plugins; do
  for run in 1 2 3; do run_one "$config"; done > "$work/$config.jsonl"
  rate[$config]=$(python3 -c 'import json,sys; print("\n".join(str(json.loads(l)["deliveries_per_second"]) for l in open(sys.argv[1])))' "$work/$config.jsonl" | median)
  cpu[$config]=$(python3 -c 'import json,sys; print("\n".join(str(json.loads(l)["server_cpu_ns_per_delivery"]) for l in open(sys.argv[1])))' "$work/$config.jsonl" | median)
  cat "$work/$config.jsonl"
done
python3 - "${rate[none]}" "${rate[plugins]}" "${cpu[none]}" "${cpu[plugins]}" <<'PY'
import sys
rate_none, rate_plugins, cpu_none, cpu_plugins = map(float, sys.argv[1:])
receivers = 99
print(f"no plugins:        {rate_none:,.0f} deliveries/s, server CPU {cpu_none:.1f} ns/delivery ({cpu_none*receivers/1000:.1f} µs/message)")
print(f"standard plugins:  {rate_plugins:,.0f} deliveries/s, server CPU {cpu_plugins:.1f} ns/delivery ({cpu_plugins*receivers/1000:.1f} µs/message)")
print(f"throughput cost:   {100*(1-rate_plugins/rate_none):.1f}% (medians of 3)")
print(f"chain cost:        {(cpu_plugins-cpu_none)*receivers:.0f} ns of server CPU per message")
PY
