#!/usr/bin/env bash
# Parley side by side with ngircd and InspIRCd (both from Debian), same machine, same run.
# Each server is pinned to CPU 0 and the generator to CPU 1; every run gets a fresh server;
# servers take turns scenario by scenario; each figure is the median of RUNS runs. Flood
# limits are relaxed and per-IP limits raised in every server (Parley: fakelag and connection
# throttling off; see docs/BENCHMARKS.md for exactly what, and what could not be).
#
# Servers: parley-poll and parley-epoll are Parley on each readiness backend
# (`event_backend = "poll"` is the default and is not written; parley-epoll writes
# `event_backend = "epoll"` under [server]); `parley` is another name for parley-poll. ngircd,
# inspircd. Scenarios: fanout100, fanout100+idleN, fanout1000, rate100, rate100+idleN,
# storm2000, idle10000 (N idle registered clients, in no room, held during the fan-out).
#
#   bench/compare.sh                  # the whole matrix, 3 runs each
#   RUNS=1 SERVERS="parley ngircd" bench/compare.sh
#   RUNS=1 SERVERS="parley ngircd" SCENARIOS="fanout100+idle2000" bench/compare.sh
#   SERVERS="parley-poll parley-before=/tmp/old/.build/release" SCENARIOS="fanout100 rate100" bench/compare.sh
#
# Output: one JSON line per run in $OUT (default bench/results.jsonl) and a table at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SERVERS=${SERVERS:-"parley-poll parley-epoll ngircd inspircd"}
SCENARIOS=${SCENARIOS:-"fanout100 fanout100+idle10000 fanout1000 rate100 rate100+idle10000 storm2000 idle10000"}
OUT=${OUT:-bench/results.jsonl}
for server in $SERVERS; do
  case $server in parley|parley-poll|parley-epoll|ngircd|inspircd) ;;
    parley-*=*) [ -x "${server#*=}/parley" ] || { echo "$server: no parley in ${server#*=}" >&2; exit 1; } ;;
    *) echo "unknown server $server (parley, parley-poll, parley-epoll, parley-NAME=DIR, ngircd, inspircd)" >&2; exit 1 ;; esac
done
for label in $SCENARIOS; do
  [[ $label =~ ^(fanout100|fanout1000|rate100|storm2000|idle10000|(fanout100|rate100)\+idle[0-9]+)$ ]] ||
    { echo "unknown scenario $label (fanout100, fanout100+idleN, fanout1000, rate100, rate100+idleN, storm2000, idle10000)" >&2; exit 1; }
done
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

# The two programs the matrix runs (no plugins: every server config says `plugins = []`).
swift build -c release --product parley >/dev/null
swift build -c release --product parley-bench >/dev/null
bin=.build/release
# The server and the generator each hold every connection: 10,000 idle + 1,000 at most, or
# more for a larger idle count.
most_idle=$(printf '%s\n' $SCENARIOS | sed -n 's/.*+idle//p' | sort -n | tail -1)
ulimit -n $(( ${most_idle:-0} + 2000 > 20000 ? ${most_idle:-0} + 2000 : 20000 ))

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

write_configs() {  # $1 = port
  for backend in poll epoll; do
    # poll is the server's default: parley-poll's config does not name the key.
    local key=""
    [ "$backend" = poll ] || key="event_backend = \"$backend\""
    cat > "$work/parley-$backend.toml" <<TOML
plugins = []
[server]
name = "parley.bench"
$key
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
[flood]
enabled = false
[throttle]
enabled = false
[cloaking]
enabled = false
[log]
level = "warning"
TOML
  done
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

# The name a server's JSON lines carry: `parley` is parley-poll.
# parley-NAME=DIR is another build of Parley (its folder DIR), labelled parley-NAME: on poll,
# or on epoll when NAME contains "epoll" (before-and-after comparisons in one run).
canonical() { case $1 in parley) echo parley-poll ;; *=*) echo "${1%%=*}" ;; *) echo "$1" ;; esac; }
binary_of() { case $1 in *=*) echo "${1#*=}/parley" ;; *) echo "$bin/parley" ;; esac; }
config_of() { case $(canonical "$1") in *epoll*) echo parley-epoll ;; *) echo parley-poll ;; esac; }

server_pid=""
start_server() {  # $1 = name, $2 = port; waits until the port accepts; fails if it does not
  write_configs "$2"
  case $(canonical "$1") in
    parley-*)
      taskset -c 0 "$(binary_of "$1")" --config "$work/$(config_of "$1").toml" --plain 127.0.0.1:0 2>"$work/server.log" & ;;
    ngircd) taskset -c 0 /usr/sbin/ngircd -n -f "$work/ngircd.conf" >"$work/server.log" 2>&1 & ;;
    inspircd) taskset -c 0 /usr/sbin/inspircd --nofork --nopid --runasroot --config "$work/inspircd.conf" >"$work/server.log" 2>&1 & ;;
    *) echo "unknown server $1 (parley, parley-poll, parley-epoll, ngircd, inspircd)" >&2; exit 1 ;;
  esac
  server_pid=$!
  for _ in $(seq 200); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$2),0.2).close()" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || break   # exited (a config it refused, say)
    sleep 0.05
  done
  # Not fatal: the run is recorded as failed and the matrix goes on (parley-epoll on a server
  # without that backend, say).
  echo "$1 did not start:" >&2; tail -20 "$work/server.log" >&2
  stop_server
  return 1
}

stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; fi
}

# Clients registering at once during set-up: ngircd's listen backlog is fixed at 10, and
# InspIRCd registers on a one-second timer, so each gets the batch it can take.
batch() { case $1 in ngircd) echo 8 ;; inspircd) echo 1000 ;; *) echo 200 ;; esac; }

run() {  # $1 = server, $2 = scenario label, rest = parley-bench arguments
  local spec=$1 server; server=$(canonical "$1")
  local label=$2; shift 2
  local port; port=$(free_port)
  if ! start_server "$spec" "$port"; then
    echo "{\"label\":\"$server/$label\",\"failed\":true}" | tee -a "$OUT"
    return 0
  fi
  # A run that printed its JSON line counts, whatever its exit status: storm exits 2 when not
  # everyone registered, and that is a figure (ngircd's), not a failed run.
  local line
  line=$(taskset -c 1 "$bin/parley-bench" "$@" --proto irc --port "$port" --server-pid "$server_pid" \
           --label "$server/$label" | head -1) || true
  case $line in
    "{"*) echo "$line" | tee -a "$OUT" ;;
    *) echo "{\"label\":\"$server/$label\",\"failed\":true}" | tee -a "$OUT" ;;
  esac
  stop_server
}

: > "$OUT"
# fanout100+idleN and rate100+idleN are fanout100 and rate100 (same clients, senders,
# messages, in-flight cap and rate) with N idle clients held throughout: the pairs compare.
# 60 s to send: ngircd among 10,000 idle clients needs more than the default 30.
fanout100=(fanout --clients 100 --senders 10 --messages 100000 --in-flight 64 --seconds 60)
rate100=(fanout --clients 100 --senders 10 --messages 10000 --rate 1000)
scenario() {  # $1 = server, $2 = scenario label
  local b; b=$(batch "$(canonical "$1")")
  case $2 in
    fanout100) run "$1" "$2" "${fanout100[@]}" --connect-batch "$b" ;;
    fanout100+idle[0-9]*) run "$1" "$2" "${fanout100[@]}" --idle "${2#fanout100+idle}" --connect-batch "$b" ;;
    fanout1000) run "$1" "$2" fanout --clients 1000 --senders 10 --messages 10000 --in-flight 64 --connect-batch "$b" ;;
    rate100) run "$1" "$2" "${rate100[@]}" --connect-batch "$b" ;;
    rate100+idle[0-9]*) run "$1" "$2" "${rate100[@]}" --idle "${2#rate100+idle}" --connect-batch "$b" ;;
    storm2000) run "$1" "$2" storm --clients 2000 --seconds 30 ;;
    idle10000) run "$1" "$2" idle --clients 10000 --hold 3 --connect-batch "$b" ;;
    *) echo "unknown scenario $2" >&2; exit 1 ;;
  esac
}

# Servers take turns scenario by scenario, so whatever drifts on this machine during the run
# (other tenants, the TIME_WAIT sockets earlier runs leave behind) falls on all of them alike.
for _ in $(seq "$RUNS"); do
  for label in $SCENARIOS; do
    for server in $SERVERS; do scenario "$server" "$label"; done
  done
done
python3 bench/table.py "$OUT"
