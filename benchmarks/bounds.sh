#!/usr/bin/env bash
# The resource-bound tests (src/test/java/org/pekkospiped/pipe/ResourceBoundsTest.java) at full
# size, which CI runs scaled down: 2,000 handshakes stalled at once, a target reading 1 MiB/s
# for a minute while the source offers 256 MiB, a burst of 1,000 connects at a limit of 8.
# Takes about four minutes; prints each test's figures and surefire's verdict.
#
#   benchmarks/bounds.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# 2,000 stalled peers hold 4,000 descriptors in the one test JVM.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

status=0
mvn -B -q test -Dtest=ResourceBoundsTest -Dpekko-spiped.bounds=full || status=$?
grep -h -E '^(stalled|slow target|burst of)' \
  target/surefire-reports/org.pekkospiped.pipe.ResourceBoundsTest-output.txt || true
cat target/surefire-reports/org.pekkospiped.pipe.ResourceBoundsTest.txt
exit $status
