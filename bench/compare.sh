#!/usr/bin/env bash
# Parley side by side with ngircd and InspIRCd (both from Debian), same machine, same run.
# Each server is pinned to CPU 0 and the generator to CPU 1; every run gets a fresh server;
# servers take turns scenario by scenario; each figure is the median of RUNS runs. Flood
# limits are relaxed and per-IP limits raised in every server (see docs/BENCHMARKS.md for
# exactly what, and what could not be).
#
#   bench/compare.sh                  # the whole matrix, 3 runs each
#   RUNS=1 SERVERS="parley ngircd" bench/compare.sh
#
# Output: one JSON line per run in $OUT (default bench/results.jsonl) and a table at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SERVERS=${SERVERS:-"parley ngircd inspircd"}
OUT=${OUT:-bench/results.jsonl}
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT

need=()
command -v ngircd >/dev/null || [ -x /usr/sbin/ngircd ] || need+=(ngircd)
command -v inspircd >/dev/null || [ -x /usr/sbin/inspircd ] || need+=(inspircd)
command -v taskset >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
# Debian starts the peers as services on install; the benchmark runs its own copies.
systemctl stop ngircd inspircd 2>/dev/null || service ngircd stop 2>/dev/null || true
service inspircd stop 2>/dev/null || true

swift build -c release >/dev/null
bin=.build/release
ulimit -n 20000

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

write_configs() {  # $1 = port
  cat > "$work/parley.toml" <<TOML
plugins = []
[server]
name = "parley.bench"
[[listen]]
protocol = "irc"
host = "127.0.0.1"
port = $1
[limits]
max_clients = 50000
max_clients_per_ip = 50000
sendq_bytes = 16777216
registration_timeout_seconds = 600
ping_interval_seconds = 600
ping_timeout_seconds = 600
[log]
level = "warning"
TOML
  cat > "$work/ngircd.conf" <<CONF
[Global]
Name = ngircd.bench
Info = bench
Listen = 127.0.0.1
Ports = $1
MotdPhrase = bench
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxNickLength = 30
PingTimeout = 600
PongTimeout = 600
MaxPenaltyTime = 0
[Options]
PAM = no
DNS = no
Ident = no
[Channel]
Name = #bench
Modes = n
CONF
  cat > "$work/inspircd.conf" <<CONF
<server name="inspircd.bench" description="bench" network="Bench">
<admin name="bench" nick="bench" email="bench@localhost">
<bind address="127.0.0.1" port="$1" type="clients">
<connect allow="*" timeout="600" pingfreq="600" hardsendq="16777216" softsendq="16777216" recvq="65536"
         localmax="50000" globalmax="50000" maxconnwarn="no" commandrate="100000000" fakelag="no"
         threshold="100000000" useident="no" resolvehostnames="no" limit="50000">
<performance softlimit="50000" somaxconn="4096" quietbursts="yes" clonesonconnect="no">
<channels users="100" opers="100">
<files motd="$work/motd">
<pid file="$work/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$work/inspircd.log">
<security maxtargets="20">
<limits maxnick="30">
CONF
  echo bench > "$work/motd"
}

server_pid=""
start_server() {  # $1 = name, $2 = port; waits until the port accepts
  write_configs "$2"
  case $1 in
    parley) taskset -c 0 "$bin/parley" --config "$work/parley.toml" --plain 127.0.0.1:0 2>"$work/server.log" & ;;
    ngircd) taskset -c 0 /usr/sbin/ngircd -n -f "$work/ngircd.conf" >"$work/server.log" 2>&1 & ;;
    inspircd) taskset -c 0 /usr/sbin/inspircd --nofork --nopid --runasroot --config "$work/inspircd.conf" >"$work/server.log" 2>&1 & ;;
  esac
  server_pid=$!
  for _ in $(seq 200); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$2),0.2).close()" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "$1 did not start:"; cat "$work/server.log"; exit 1
}

stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi
}

# Clients registering at once during set-up: ngircd's listen backlog is fixed at 10, and
# InspIRCd registers on a one-second timer, so each gets the batch it can take.
batch() { case $1 in ngircd) echo 8 ;; inspircd) echo 1000 ;; *) echo 200 ;; esac; }

run() {  # $1 = server, $2 = scenario label, rest = parley-bench arguments
  local server=$1 label=$2; shift 2
  local port; port=$(free_port)
  start_server "$server" "$port"
  taskset -c 1 "$bin/parley-bench" "$@" --proto irc --port "$port" --server-pid "$server_pid" --label "$server/$label" \
    | head -1 | tee -a "$OUT" || echo "{\"label\":\"$server/$label\",\"failed\":true}" | tee -a "$OUT"
  stop_server
}

: > "$OUT"
scenario() {  # $1 = server, $2 = scenario label
  local b; b=$(batch "$1")
  case $2 in
    fanout100) run "$1" fanout100 fanout --clients 100 --senders 10 --messages 100000 --in-flight 64 --connect-batch "$b" ;;
    fanout1000) run "$1" fanout1000 fanout --clients 1000 --senders 10 --messages 10000 --in-flight 64 --connect-batch "$b" ;;
    rate100) run "$1" rate100 fanout --clients 100 --senders 10 --messages 10000 --rate 1000 --connect-batch "$b" ;;
    storm2000) run "$1" storm2000 storm --clients 2000 --seconds 30 ;;
    idle10000) run "$1" idle10000 idle --clients 10000 --hold 3 --connect-batch "$b" ;;
  esac
}

# Servers take turns scenario by scenario, so whatever drifts on this machine during the run
# (other tenants, the TIME_WAIT sockets earlier runs leave behind) falls on all of them alike.
for _ in $(seq "$RUNS"); do
  for label in fanout100 fanout1000 rate100 storm2000 idle10000; do
    for server in $SERVERS; do scenario "$server" "$label"; done
  done
done
python3 bench/table.py "$OUT"
