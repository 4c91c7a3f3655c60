#!/usr/bin/env bash
# Side-by-side benchmark of spiped 1.6.2 and pekko-spiped on 127.0.0.1, with a plain socat
# relay pair as the no-crypto ceiling. Prints every figure for each implementation as
# min / median / max over RUNS runs, and pekko-spiped's median over spiped's.
#
#   benchmarks/run.sh                       everything, 3 runs (about 10 minutes)
#   RUNS=1 SECTIONS="bulk rtt" benchmarks/run.sh
#
# Environment:
#   RUNS          runs of every figure (default 3); the implementations take turns in each run
#   SECTIONS      any of: bulk handshakes rtt memory (default: all four)
#   BULK_BYTES    bytes per bulk run, shared by the streams (default 1 GiB)
#   HS_SECONDS    seconds per handshake-rate run (default 3)
#   RTT_COUNT     measured round trips per latency run (default 5000, after 1000 warm-up)
#   IDLE_COUNT    idle connections for the memory figure (default 1000)
#   PEKKO_JAVA_OPTS  JVM options of each pekko-spiped process (default below)
#   PEKKO_CONF    HOCON added to both pekko-spiped ends' configuration, to measure a setting:
#                 PEKKO_CONF='pekko-spiped.stream.packets-per-write = 1' benchmarks/run.sh
#   IMPLS         which implementations to run (default "spiped pekko socat")
#   OUT           directory for raw results and logs (default a new one under /tmp)
#
# Each implementation runs as two processes per pipe pair, one per end, as in real use:
# spiped as a pair of processes per pipe; pekko-spiped as one encrypting and one decrypting JVM,
# each holding the three pipes the figures need (bulk, echo with forward secrecy, echo without).
# The load generators (benchmarks/src/main/java/org/pekkospiped/bench/Load.java) are the same
# for every implementation. The machine's cores are shared by the generators and both ends.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
RUNS=${RUNS:-3}
SECTIONS=${SECTIONS:-"bulk handshakes rtt memory"}
BULK_BYTES=${BULK_BYTES:-$((1024 * 1024 * 1024))}
HS_SECONDS=${HS_SECONDS:-3}
RTT_COUNT=${RTT_COUNT:-5000}
IDLE_COUNT=${IDLE_COUNT:-1000}
PEKKO_JAVA_OPTS=${PEKKO_JAVA_OPTS:-"-XX:+UseSerialGC -Xms64m -Xmx512m -XX:TieredStopAtLevel=4"}
PEKKO_CONF=${PEKKO_CONF:-}
IMPLS=${IMPLS:-"spiped pekko socat"}
OUT=${OUT:-$(mktemp -d /tmp/pekko-spiped-bench.XXXXXX)}
mkdir -p "$OUT"
raw="$OUT/raw.tsv"
: >"$raw"

# Ports: one block per implementation; each has a bulk pipe, an echo pipe, an echo pipe without
# forward secrecy. The echo server and the bulk sink are shared.
ECHO_PORT=17100
SINK_PORT=17101

# --- tools ----------------------------------------------------------------------------------

need_tools() {
  local missing=()
  command -v spiped >/dev/null || missing+=(spiped)
  command -v socat >/dev/null || missing+=(socat)
  command -v ss >/dev/null || missing+=(iproute2)
  if ((${#missing[@]})); then
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # spiped -v prints its version on stderr.
  local version
  version=$(spiped -v 2>&1 || true)
  [[ $version == *1.6.2* ]] || echo "warning: spiped is not 1.6.2: $version" >&2
}

build() {
  if [[ ! -f "$root/target/pekko-spiped.jar" || -n "${REBUILD:-}" ]]; then
    (cd "$root" && mvn -q -B package -DskipTests)
  fi
  if [[ ! -f "$here/target/benchmarks.jar" || -n "${REBUILD:-}" ]]; then
    (cd "$here" && mvn -q -B package)
  fi
}

LOAD=(java -Xss512k -cp "$here/target/benchmarks.jar" org.pekkospiped.bench.Load)

# In the foreground. A generator in the background is started as "${LOAD[@]}" itself, so that
# $! is the generator's pid and cleanup stops it (a function would leave it running).
load() {
  "${LOAD[@]}" "$@"
}

# --- processes ------------------------------------------------------------------------------

declare -A PIDS # implementation -> space-separated pids of its daemons
BG_PIDS=()

cleanup() {
  local pid
  for pid in ${PIDS[@]:-} ${BG_PIDS[@]:-}; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

wait_listening() {
  local port=$1 i
  for i in $(seq 1 200); do
    ss -Hltn "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  echo "nothing listens on $port" >&2
  return 1
}

# Ports of implementation $1: bulk source, bulk middle, echo source, echo middle, echo-nofs ...
ports() {
  case $1 in
  spiped) echo 17200 17201 17202 17203 17204 17205 ;;
  pekko) echo 17300 17301 17302 17303 17304 17305 ;;
  socat) echo 17400 17401 17402 17403 17404 17405 ;;
  esac
}

start_spiped() {
  local p=($(ports spiped)) pids=() args=(-F -n 0 -o 5 -k "$OUT/key")
  spiped -e -s "[127.0.0.1]:${p[0]}" -t "[127.0.0.1]:${p[1]}" "${args[@]}" & pids+=($!)
  spiped -d -s "[127.0.0.1]:${p[1]}" -t "[127.0.0.1]:$SINK_PORT" "${args[@]}" & pids+=($!)
  spiped -e -s "[127.0.0.1]:${p[2]}" -t "[127.0.0.1]:${p[3]}" "${args[@]}" & pids+=($!)
  spiped -d -s "[127.0.0.1]:${p[3]}" -t "[127.0.0.1]:$ECHO_PORT" "${args[@]}" & pids+=($!)
  spiped -e -s "[127.0.0.1]:${p[4]}" -t "[127.0.0.1]:${p[5]}" -f "${args[@]}" & pids+=($!)
  spiped -d -s "[127.0.0.1]:${p[5]}" -t "[127.0.0.1]:$ECHO_PORT" -f "${args[@]}" & pids+=($!)
  PIDS[spiped]="${pids[*]}"
  for port in "${p[@]}"; do wait_listening "$port"; done
}

pekko_conf() {
  local mode=$1 p=($(ports pekko))
  local bulk_s bulk_t echo_s echo_t nofs_s nofs_t
  if [[ $mode == encrypt ]]; then
    bulk_s=${p[0]} bulk_t=${p[1]} echo_s=${p[2]} echo_t=${p[3]} nofs_s=${p[4]} nofs_t=${p[5]}
  else
    bulk_s=${p[1]} bulk_t=$SINK_PORT echo_s=${p[3]} echo_t=$ECHO_PORT
    nofs_s=${p[5]} nofs_t=$ECHO_PORT
  fi
  cat <<EOF
pekko-spiped {
  pipe-defaults.max-connections = 0
  pipes {
    bulk { mode = $mode, key-file = "$OUT/key"
      source = "[127.0.0.1]:$bulk_s", target = "[127.0.0.1]:$bulk_t" }
    echo { mode = $mode, key-file = "$OUT/key"
      source = "[127.0.0.1]:$echo_s", target = "[127.0.0.1]:$echo_t" }
    echo-nofs { mode = $mode, key-file = "$OUT/key", forward-secrecy = off
      source = "[127.0.0.1]:$nofs_s", target = "[127.0.0.1]:$nofs_t" }
  }
}
$PEKKO_CONF
EOF
}

start_pekko() {
  local p=($(ports pekko)) pids=() mode
  for mode in encrypt decrypt; do
    pekko_conf $mode >"$OUT/pekko-$mode.conf"
    # shellcheck disable=SC2086
    java $PEKKO_JAVA_OPTS -jar "$root/target/pekko-spiped.jar" "$OUT/pekko-$mode.conf" \
      >"$OUT/pekko-$mode.log" 2>&1 &
    pids+=($!)
  done
  PIDS[pekko]="${pids[*]}"
  for port in "${p[@]}"; do wait_listening "$port"; done
}

start_socat() {
  local p=($(ports socat)) pids=()
  socat TCP-LISTEN:${p[0]},bind=127.0.0.1,fork,reuseaddr,nodelay TCP:127.0.0.1:${p[1]},nodelay &
  pids+=($!)
  socat TCP-LISTEN:${p[1]},bind=127.0.0.1,fork,reuseaddr,nodelay TCP:127.0.0.1:$SINK_PORT,nodelay &
  pids+=($!)
  socat TCP-LISTEN:${p[2]},bind=127.0.0.1,fork,reuseaddr,nodelay TCP:127.0.0.1:${p[3]},nodelay &
  pids+=($!)
  socat TCP-LISTEN:${p[3]},bind=127.0.0.1,fork,reuseaddr,nodelay TCP:127.0.0.1:$ECHO_PORT,nodelay &
  pids+=($!)
  PIDS[socat]="${pids[*]}"
  wait_listening "${p[0]}"
  wait_listening "${p[1]}"
  wait_listening "${p[2]}"
  wait_listening "${p[3]}"
}

# CPU seconds (user + system, including reaped children such as socat's forks) of pids.
cpu_seconds() {
  local tick total=0 pid
  tick=$(getconf CLK_TCK)
  for pid in "$@"; do
    # Fields after the command name: utime stime cutime cstime are the 12th to 15th.
    total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13 + $14 + $15}')))
  done
  awk -v t="$total" -v k="$tick" 'BEGIN { printf "%.2f", t / k }'
}

rss_kib() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")))
  done
  echo $total
}

# Those of the named implementations that IMPLS asks for, in the order given.
wanted() {
  local impl
  for impl in "$@"; do
    [[ " $IMPLS " == *" $impl "* ]] && echo "$impl"
  done
  return 0
}

record() { # figure implementation value
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$raw"
  printf '  %-34s %-7s %s\n' "$1" "$2" "$3"
}

# --- figures --------------------------------------------------------------------------------

bulk_once() { # impl streams
  local impl=$1 streams=$2 p=($(ports $1)) before after result seconds
  # shellcheck disable=SC2086
  before=$(cpu_seconds ${PIDS[$impl]})
  result=$(load bulk "${p[0]}" "$SINK_PORT" "$streams" "$BULK_BYTES")
  # shellcheck disable=SC2086
  after=$(cpu_seconds ${PIDS[$impl]})
  seconds=${result%% *}
  record "bulk ${streams}x MB/s" "$impl" "${result##* }"
  record "bulk ${streams}x CPU s/GiB" "$impl" \
    "$(awk -v a="$after" -v b="$before" -v n="$BULK_BYTES" \
      'BEGIN { printf "%.2f", (a - b) * 1073741824 / n }')"
}

handshakes_once() { # impl fs clients
  local impl=$1 fs=$2 clients=$3 p=($(ports $1)) port result
  port=${p[2]}
  [[ $fs == off ]] && port=${p[4]}
  result=$(load handshakes "$port" "$clients" "$HS_SECONDS")
  record "handshakes/s fs=$fs c=$clients" "$impl" "${result%% *}"
  local failed=${result##* }
  ((failed == 0)) || echo "  ($impl: $failed failed handshakes)"
}

rtt_once() {
  local impl=$1 p=($(ports $1)) result
  result=$(load rtt "${p[2]}" "$RTT_COUNT" 64)
  record "rtt 64B p50 us" "$impl" "${result%% *}"
  record "rtt 64B p99 us" "$impl" "${result##* }"
}

memory_once() {
  local impl=$1 p=($(ports $1)) pids before after fifo
  pids=$(echo ${PIDS[$impl]} | awk '{print $3, $4}')
  [[ $impl == pekko ]] && pids=${PIDS[$impl]}
  # shellcheck disable=SC2086
  before=$(rss_kib $pids)
  fifo="$OUT/idle.fifo"
  rm -f "$fifo" && mkfifo "$fifo"
  "${LOAD[@]}" idle "${p[2]}" "$IDLE_COUNT" <"$fifo" >"$OUT/idle.out" &
  local idle_pid=$!
  exec 9>"$fifo"
  local i
  for i in $(seq 1 600); do
    grep -q ready "$OUT/idle.out" 2>/dev/null && break
    kill -0 $idle_pid 2>/dev/null || { echo "idle generator failed" >&2; return 1; }
    sleep 0.1
  done
  sleep 1
  # shellcheck disable=SC2086
  after=$(rss_kib $pids)
  exec 9>&-
  wait $idle_pid || true
  record "idle KiB/conn/end" "$impl" \
    "$(awk -v a="$after" -v b="$before" -v n="$IDLE_COUNT" 'BEGIN { printf "%.1f", (a - b) / n / 2 }')"
  record "idle RSS MiB (both ends)" "$impl" "$(awk -v a="$after" 'BEGIN { printf "%.1f", a / 1024 }')"
  # Let the pair close the connections before the next figure.
  sleep 2
}

warm_up() {
  echo "warming up (JIT of pekko-spiped; same load for everyone)"
  local impl p
  for impl in $(wanted spiped pekko); do
    p=($(ports $impl))
    load bulk "${p[0]}" "$SINK_PORT" 2 $((256 * 1024 * 1024)) >/dev/null
    load handshakes "${p[2]}" 8 2 >/dev/null
    load handshakes "${p[4]}" 8 2 >/dev/null
    load rtt "${p[2]}" 5000 64 >/dev/null
  done
}

# --- summary --------------------------------------------------------------------------------

summarise() {
  echo
  echo "=== Summary: min / median / max over $RUNS run(s); ratio = pekko median / spiped median"
  awk -F'\t' '
    { key = $1 SUBSEP $2; n[key]++; v[key, n[key]] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++figures] = $1 } }
    function median(key,   i, j, t, m, a) {
      m = n[key]; for (i = 1; i <= m; i++) a[i] = v[key, i]
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      lo = a[1]; hi = a[m]
      return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    END {
      printf "%-30s %-26s %-26s %-26s %s\n", "figure", "spiped", "pekko-spiped", "socat relay", "ratio"
      for (f = 1; f <= figures; f++) {
        fig = order[f]; line = sprintf("%-30s", fig); ms = ""; mp = ""
        split("spiped pekko socat", impls, " ")
        for (i = 1; i <= 3; i++) {
          key = fig SUBSEP impls[i]
          if (n[key]) { md = median(key); cell = sprintf("%s / %s / %s", lo, md, hi)
            if (impls[i] == "spiped") ms = md; if (impls[i] == "pekko") mp = md }
          else cell = "-"
          line = line sprintf(" %-26s", cell)
        }
        ratio = (ms + 0 > 0 && mp != "") ? sprintf("%.2f", mp / ms) : "-"
        print line " " ratio
      }
    }' "$raw"
}

# --- main -----------------------------------------------------------------------------------

main() {
  need_tools
  build
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  head -c 32 /dev/urandom >"$OUT/key"

  "${LOAD[@]}" echo $ECHO_PORT >"$OUT/echo.log" 2>&1 &
  BG_PIDS+=($!)
  wait_listening $ECHO_PORT
  local impl
  for impl in $IMPLS; do start_$impl; done
  echo "results and logs in $OUT"
  echo "pekko-spiped JVM options: $PEKKO_JAVA_OPTS"
  warm_up

  local run impls impl clients fs
  for run in $(seq 1 "$RUNS"); do
    # Take turns: who goes first alternates from run to run.
    if ((run % 2)); then impls=$(wanted spiped pekko); else impls=$(wanted pekko spiped); fi
    echo "--- run $run of $RUNS"
    for section in $SECTIONS; do
      case $section in
      bulk)
        for streams in 1 8; do
          for impl in $impls $(wanted socat); do bulk_once $impl $streams; done
        done
        ;;
      handshakes)
        for fs in on off; do
          for clients in 1 8 32; do
            for impl in $impls; do handshakes_once $impl $fs $clients; done
          done
        done
        ;;
      rtt)
        for impl in $impls $(wanted socat); do rtt_once $impl; done
        ;;
      memory)
        for impl in $impls; do memory_once $impl; done
        ;;
      esac
    done
  done

  summarise | tee "$OUT/summary.txt"
}

main "$@"
