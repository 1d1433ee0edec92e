#!/usr/bin/env bash
# `revlens demo` end to end on the small portal, twice on a fresh DuckDB file (the second sync is incremental):
# every live record arrives, the nightly job runs every product, pushes into the emulator, writes the report.
# Usage: demo_test.sh <revlens binary> <work dir>
set -euo pipefail
bin="$1"
work="$2"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
args=(demo --size small --seed 3 --anchor-date 2026-06-30 --warehouse "duckdb://$work/demo.duckdb"
      --report-dir "$work/report")
fail=0
check() {  # check <description> <command...>
  local what="$1"; shift
  if "$@" >/dev/null 2>&1; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
"$bin" "${args[@]}" >first.txt 2>first.err || { cat first.txt first.err; echo "FAIL: first demo run exited $?"; exit 1; }
"$bin" "${args[@]}" --json >second.json 2>second.err || { cat second.json second.err; echo "FAIL: second demo run"; exit 1; }
cat first.txt
# The summary prints every product.
for section in "Nightly job" "Sync: every live record" "ICP (" "Lead scoring" "Forecast (bookings" "Competitors (" \
               "Push into the emulator" "What to open next"; do
  check "summary has '$section'" grep -qF "$section" first.txt
done
# The runs table: each step that must run on the small portal ran (ok or warn) in both runs (the report step's own
# row is written after the report, so the second run's CSV holds the first run's report row only).
for step in sync build score icp forecast compete push report; do
  want=2; [ "$step" = report ] && want=1
  check "runs.csv: $step ran ($want)" \
    test "$(grep -cE "^[^,]*,$step,[0-9]+,[^,]*,[^,]*,[^,]*,(ok|warn)," report/runs.csv)" -ge "$want"
done
check "runs.csv holds two runs" test "$(cut -d, -f1 report/runs.csv | tail -n +2 | sort -u | wc -l)" -eq 2
# The products' tables were exported.
for t in icp_segments company_icp_fit forecast deal_predictions competitor_stats deal_competitors; do
  check "report/$t.csv has rows" test "$(wc -l <report/$t.csv)" -ge 2
done
# The HTML report is self-contained.
check "report.html exists" test -s report/report.html
check "report.html has charts" grep -q "<svg" report/report.html
check "report.html fetches nothing" bash -c '! grep -qE "https?://|<script|<link" report/report.html'
# The second run synced incrementally and the job succeeded.
check "second run complete" grep -q '"complete": true' second.json
check "second run ok" grep -qE '"status": "ok"' second.json
# `revlens run --as-of` on the same warehouse: the build and the products measure to that day, not today (the
# forecast's first period is the quarter after it); a date that does not exist is refused in one line.
"$bin" run --warehouse "duckdb://$work/demo.duckdb" --skip sync,score,icp,activity,compete,push,alert,report \
  --no-backtest --as-of 2026-06-30 --quiet --json >asof.json 2>asof.err ||
  { cat asof.json asof.err; echo "FAIL: run --as-of"; fail=1; }
check "run --as-of: the forecast starts at 2026-Q3" grep -q '"period": *"2026-Q3"' asof.json
if "$bin" run --warehouse "duckdb://$work/demo.duckdb" --as-of 2026-02-30 >bad.txt 2>bad.err; then
  echo "FAIL: run --as-of 2026-02-30 exited 0"; fail=1
else
  check "run --as-of 2026-02-30 says why" grep -q "is not a date" bad.err
fi
exit "$fail"
