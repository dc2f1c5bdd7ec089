#!/usr/bin/env bash
# Every benchmark in its quick mode: a few seconds each, to show it still runs end to end.
# CI runs this after the tests. Full runs (and their figures) are in benchmarks/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
run() { echo "== $*"; "$@" >/tmp/newsdedup-bench-quick.log 2>&1 || { cat /tmp/newsdedup-bench-quick.log; exit 1; }; tail -n 3 /tmp/newsdedup-bench-quick.log; }

run $py benchmarks/dedup.py --quick
run $py benchmarks/dedup_variants.py --quick
run $py benchmarks/dedup_lopo.py --quick
run $py benchmarks/dedup_scale.py --quick
run $py benchmarks/writers.py --quick
run $py benchmarks/scale_out.py --quick
run $py benchmarks/extraction/run.py --quick
run $py benchmarks/sources/links.py --quick
run $py benchmarks/crawl/bench.py --quick
run $py benchmarks/crawl/freshness.py --quick
if command -v nginx >/dev/null && command -v wrk >/dev/null; then
  run $py benchmarks/feeds/bench.py --quick
else
  echo "== benchmarks/feeds/bench.py skipped: needs nginx and wrk (apt-get install nginx wrk)"
fi
if command -v redis-server >/dev/null; then
  run $py benchmarks/matching/redis_index.py --quick
else
  echo "== benchmarks/matching/redis_index.py skipped: needs redis-server (apt-get install redis-server)"
fi
echo "benchmarks: every quick mode ran"
