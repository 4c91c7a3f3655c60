#!/usr/bin/env bash
# Soak test of a pekko-spiped pipe pair with faults mixed in (not run in CI).
#
#   benchmarks/soak.sh                      10 minutes
#   SOAK_SECONDS=90 benchmarks/soak.sh
#
# Two JVMs from target/pekko-spiped.jar, as in real use: an encrypting one with a good pipe and
# a pipe holding the wrong key, both into a decrypting one in front of the soak's echo target.
# The load (benchmarks/src/main/java/org/pekkospiped/bench/Soak.java) mixes short and long good
# connections with clients that reset mid-stream, clients with the wrong key, handshakes that
# stall, and restarts of the target. At the end it checks, and prints:
#   - bytes in = bytes out for every good connection (and each echo unchanged, by SHA-256);
#   - no leaked connection: every pipe's spiped_connections_active back to 0 on the
#     Prometheus endpoints, and no established socket left on the pipes' ports;
#   - heap in use after a full collection (jcmd GC.heap_info) and RSS of each end.
#
# Environment:
#   SOAK_SECONDS     length of the load (default 600)
#   SOAK_TIMEOUT     the pipes' timeout, in seconds (default 2): how long a stall is held
#   PEKKO_JAVA_OPTS  JVM options of each pekko-spiped process (default below)
#   OUT              directory for logs and results (default a new one under /tmp)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_TIMEOUT=${SOAK_TIMEOUT:-2}
PEKKO_JAVA_OPTS=${PEKKO_JAVA_OPTS:-"-XX:+UseSerialGC -Xms32m -Xmx256m"}
OUT=${OUT:-$(mktemp -d /tmp/pekko-spiped-soak.XXXXXX)}
mkdir -p "$OUT"

# Ports, apart from run.sh's: good and wrong-key sources, the decrypting source, the target,
# the two Prometheus endpoints.
GOOD=17500 WRONG=17501 MIDDLE=17502 TARGET=17503 ENC_METRICS=17505 DEC_METRICS=17506

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT

build() {
  if [[ ! -f "$root/target/pekko-spiped.jar" || -n "${REBUILD:-}" ]]; then
    (cd "$root" && mvn -q -B package -DskipTests)
  fi
  if [[ ! -f "$here/target/benchmarks.jar" || -n "${REBUILD:-}" ]]; then
    (cd "$here" && mvn -q -B package)
  fi
}

wait_listening() {
  local port=$1
  for _ in $(seq 1 300); do
    ss -Hltn "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  echo "nothing listens on $port" >&2
  return 1
}

write_confs() {
  cat >"$OUT/encrypt.conf" <<CONF
pekko-spiped {
  metrics.prometheus-endpoint = "[127.0.0.1]:$ENC_METRICS"
  pipe-defaults.timeout = ${SOAK_TIMEOUT}s
  pipes {
    good { mode = encrypt, key-file = "$OUT/key"
      source = "[127.0.0.1]:$GOOD", target = "[127.0.0.1]:$MIDDLE" }
    wrong-key { mode = encrypt, key-file = "$OUT/wrong.key"
      source = "[127.0.0.1]:$WRONG", target = "[127.0.0.1]:$MIDDLE" }
  }
}
CONF
  cat >"$OUT/decrypt.conf" <<CONF
pekko-spiped {
  metrics.prometheus-endpoint = "[127.0.0.1]:$DEC_METRICS"
  pipe-defaults.timeout = ${SOAK_TIMEOUT}s
  pipes {
    soak { mode = decrypt, key-file = "$OUT/key"
      source = "[127.0.0.1]:$MIDDLE", target = "[127.0.0.1]:$TARGET" }
  }
}
CONF
}

start_end() { # name
  # shellcheck disable=SC2086
  java $PEKKO_JAVA_OPTS -jar "$root/target/pekko-spiped.jar" "$OUT/$1.conf" >"$OUT/$1.log" 2>&1 &
  PIDS+=($!)
}

# Sum of spiped_connections_active over every pipe of the endpoint on port $1.
active() {
  curl -s "http://127.0.0.1:$1/metrics" |
    awk '/^spiped_connections_active[{ ]/ { sum += $NF } END { print sum + 0 }'
}

established() { # sockets on the pipes' ports still established
  local ports="sport = :$GOOD or sport = :$WRONG or sport = :$MIDDLE"
  ports+=" or dport = :$MIDDLE or dport = :$TARGET"
  ss -Htn state established "( $ports )" | wc -l
}

# Heap in use (MiB) of the end whose endpoint is on port $2, after a full collection of pid $1;
# GC.heap_info's own figures go to the log directory.
heap_after_gc() { # pid port
  jcmd "$1" GC.run >/dev/null 2>&1 || true
  jcmd "$1" GC.heap_info >>"$OUT/heap-$1.txt" 2>&1 || true
  curl -s "http://127.0.0.1:$2/metrics" |
    awk '/^jvm_memory_used_bytes\{.*area="heap"/ { sum += $NF }
      END { printf "%.1f MiB", sum / 1048576 }'
}

rss_mib() {
  awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

main() {
  build
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  head -c 32 /dev/urandom >"$OUT/key"
  head -c 32 /dev/urandom >"$OUT/wrong.key"
  write_confs

  start_end decrypt
  local dec_pid=${PIDS[-1]}
  start_end encrypt
  local enc_pid=${PIDS[-1]}
  for port in $GOOD $WRONG $MIDDLE $ENC_METRICS $DEC_METRICS; do wait_listening "$port"; done
  echo "soak for ${SOAK_SECONDS}s, pipe timeout ${SOAK_TIMEOUT}s; logs in $OUT"
  echo "pekko-spiped JVM options: $PEKKO_JAVA_OPTS"
  echo "start: heap after GC: encrypting end $(heap_after_gc "$enc_pid" $ENC_METRICS)," \
    "decrypting end $(heap_after_gc "$dec_pid" $DEC_METRICS)"

  local status=0
  java -cp "$here/target/benchmarks.jar" org.pekkospiped.bench.Soak "$SOAK_SECONDS" \
    $GOOD $WRONG $MIDDLE $TARGET "$SOAK_TIMEOUT" | tee "$OUT/soak.out" || status=$?

  # Every connection ends within the timeout once its client has gone; allow a few times that.
  local enc_active dec_active
  for _ in $(seq 1 100); do
    enc_active=$(active $ENC_METRICS)
    dec_active=$(active $DEC_METRICS)
    [[ $enc_active == 0 && $dec_active == 0 ]] && break
    sleep 0.2
  done
  echo "active connections at the end: encrypting end $enc_active, decrypting end $dec_active"
  echo "established sockets left on the pipes' ports: $(established)"
  echo "end: heap after GC: encrypting end $(heap_after_gc "$enc_pid" $ENC_METRICS)" \
    "(RSS $(rss_mib "$enc_pid") MiB), decrypting end $(heap_after_gc "$dec_pid" $DEC_METRICS)" \
    "(RSS $(rss_mib "$dec_pid") MiB)"
  echo "log lines at WARN or ERROR, by pipe and kind:"
  grep -h -E ' (WARN|ERROR) ' "$OUT/encrypt.log" "$OUT/decrypt.log" |
    sed -E 's/.*(WARN|ERROR) +[A-Za-z]+ - //; s/ \(and [0-9]+ more\)//; s/[0-9]+/N/g' |
    sort | uniq -c | sort -rn | head -20 || true

  if [[ $enc_active != 0 || $dec_active != 0 ]]; then
    echo "FAIL: connections left open" >&2
    status=1
  fi
  exit $status
}

main "$@"
