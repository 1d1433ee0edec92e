#!/usr/bin/env bash
# `revlens serve`, `revlens run` and `revlens dashboard` side by side on one DuckDB file (issue 9: a DuckDB file admits
# one writing process; none of the three may lock the others out). On a small emulated portal: a first `revlens run`
# makes the warehouse; then serve (receiving the emulator's signed webhooks) and the dashboard start on that file, and
# a second `revlens run` goes while the dashboard's JSON API is polled and contacts are created and a deal's stage is
# changed in the emulator. Asserts: the second run succeeds; the dashboard answers 200 before, during (its last good
# answer, marked stale, while the run holds the file) and after the run; serve stored and processed every event, the
# contacts created during the run (after its sync) carry scores in the emulator written by serve, and the deal flag
# serve could not copy while the run held the file reaches the warehouse afterwards.
# Usage: side_by_side_test.sh <revlens binary> <work dir>
set -euo pipefail
bin="$(realpath "$1")"
work="$2"
here="$(cd "$(dirname "$0")" && pwd)"
project="$here/../../sql"
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed (apt-get install $tool)"; exit 1; }
done
rm -rf "$work"
mkdir -p "$work"
cd "$work"
t_start=$SECONDS
fail=0
check() {  # check <description> <command...>
  local what="$1"; shift
  if "$@" >/dev/null 2>&1; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
wait_for() {  # wait_for <seconds> <command...>: poll every 0.1 s until the command succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# Nothing from the developer's environment or a revlens.toml/.env: everything is on the command line below.
unset REVLENS_WAREHOUSE SLACK_WEBHOOK_URL REVLENS_DASHBOARD_TOKEN HUBSPOT_ACCESS_TOKEN HUBSPOT_API_BASE \
  HUBSPOT_CLIENT_SECRET || true
secret="side-by-side-secret"
token="revlens-emulator-token"
wh="duckdb://$work/warehouse.duckdb"

# The emulator on a free port.
"$bin" emulator serve --size small --seed 3 --anchor-date 2026-06-30 --port 0 --rate-limit none --json \
  --token "$token" --client-secret "$secret" >emulator.out 2>emulator.err &
pids+=($!)
wait_for 60 grep -q '"url"' emulator.out || { cat emulator.out emulator.err; echo "FAIL: emulator did not start"; exit 1; }
emu="$(jq -r .url emulator.out)"
api() {  # api <method> <path> [json body]: the emulator's API with its token
  curl -sS -f -X "$1" -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    ${3:+--data "$3"} "$emu$2"
}
export HUBSPOT_ACCESS_TOKEN="$token" HUBSPOT_API_BASE="$emu"
run_args=(run --warehouse "$wh" --project "$project" --no-backtest --json)

# 1. A first run makes the warehouse (and the lead model serve scores with).
t0=$SECONDS
"$bin" "${run_args[@]}" --report-dir "$work/report1" >run1.json 2>run1.err ||
  { tail -20 run1.err; echo "FAIL: first run"; exit 1; }
echo "first run: $((SECONDS - t0)) s"
# The small portal has too few conversions for a usable lead model (the run's score step says so): train one anyway
# (--force marks it unusable, so serve writes its scores to the hidden revlens_shadow_* properties).
"$bin" score --warehouse "$wh" --force >score.out 2>score.err || { tail -5 score.err; echo "FAIL: score --force"; exit 1; }

# 2. serve and the dashboard on the same file.
HUBSPOT_CLIENT_SECRET="$secret" "$bin" serve --listen 127.0.0.1:0 --warehouse "$wh" >serve.out 2>serve.err &
serve_pid=$!
pids+=($serve_pid)
wait_for 30 grep -q 'listening on' serve.out || { cat serve.out serve.err; echo "FAIL: serve did not start"; exit 1; }
serve_port="$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' serve.out)"
"$bin" dashboard --warehouse "$wh" --port 0 --json >dashboard.out 2>dashboard.err &
pids+=($!)
wait_for 30 grep -q '"url"' dashboard.out || { cat dashboard.out dashboard.err; echo "FAIL: dashboard did not start"; exit 1; }
dash="$(jq -r .url dashboard.out)"
dash_status() {  # dash_status <page>: the HTTP status of the dashboard's JSON API for a page
  curl -s -o "dash_$1.json" -w '%{http_code}' --max-time 20 "$dash/api/$1"
}
dash_ok() { test "$(dash_status "$1")" = 200; }
dash_fresh() { dash_ok "$1" && jq_true '(.stale // false) == false' "dash_$1.json"; }
healthz() { curl -sS -f --max-time 5 "http://127.0.0.1:$serve_port/healthz"; }
jq_true() {  # jq_true <filter> [file]: the filter is true of the JSON (an empty input, e.g. a failed curl, is not)
  local in
  in="$(cat "${2:-/dev/stdin}")"
  [ -n "$in" ] && [ "$(jq -r "$1" <<<"$in")" = true ]
}
health_is() { healthz | jq_true "$1"; }
contact_scored() {  # contact_scored <id>: its revlens score (or shadow score) is readable in the emulator
  api GET "/crm/v3/objects/contacts/$1?properties=revlens_score,revlens_shadow_score" |
    jq_true '(.properties.revlens_score // .properties.revlens_shadow_score // "") | length > 0'
}

# The emulator sends signed webhooks to serve: contact creations and deal stage changes.
app=1000001
api PUT "/webhooks/v3/$app/settings" "{\"targetUrl\": \"http://127.0.0.1:$serve_port/webhooks/hubspot\"}" >/dev/null
api POST "/webhooks/v3/$app/subscriptions" '{"eventType": "contact.creation", "active": true}' >/dev/null
api POST "/webhooks/v3/$app/subscriptions" \
  '{"eventType": "deal.propertyChange", "propertyName": "dealstage", "active": true}' >/dev/null

# serve reads the model on start (its first refresh): wait for it, so it scores with the first run's model.
check "serve loaded the model" wait_for 30 health_is '.since_start.model_refreshes >= 1'
check "dashboard overview 200 before the run" wait_for 10 dash_ok overview
check "dashboard leads 200 before the run" wait_for 10 dash_ok leads

# 3. The second run, with the dashboard polled and webhooks arriving meanwhile.
t0=$SECONDS
"$bin" "${run_args[@]}" --report-dir "$work/report2" >run2.json 2>run2.err &
run_pid=$!
pids+=($run_pid)
: >poll.txt
(
  while kill -0 "$run_pid" 2>/dev/null; do
    code="$(dash_status overview)"
    echo "during $code $(jq -r '.stale // false' dash_overview.json 2>/dev/null)" >>poll.txt
    sleep 0.3
  done
) &
poll_pid=$!
pids+=($poll_pid)
# Contacts created after the run's sync step: only serve can score them (the run never saw them).
wait_for 90 grep -q 'step 1/[0-9]* sync: ' run2.err || echo "note: the second run's sync step never ended"
created=()
for i in 1 2 3; do
  id="$(api POST /crm/v3/objects/contacts "{\"properties\": {\"email\": \"side$i@example.org\", \"firstname\": \"Side$i\",
        \"jobtitle\": \"VP Sales\", \"lifecyclestage\": \"lead\"}}" | jq -r .id)"
  created+=("$id")
done
deals="$(api GET '/crm/v3/objects/deals?limit=50&properties=dealstage')"
deal="$(jq -r '.results[0].id' <<<"$deals")"
stage="$(jq -r '.results[0].properties.dealstage' <<<"$deals")"
new_stage="$(jq -r --arg s "$stage" '[.results[].properties.dealstage | select(. != $s and . != null)][0]' <<<"$deals")"
api PATCH "/crm/v3/objects/deals/$deal" "{\"properties\": {\"dealstage\": \"$new_stage\"}}" >/dev/null
# Events arriving while the run still holds the file: they are stored and (with the model loaded before) processed.
check "serve stored and processed the events during the run" wait_for 30 health_is '.events >= 4 and .pending == 0'
run_still=no
kill -0 "$run_pid" 2>/dev/null && run_still=yes
echo "serve processed the events while the run was still going: $run_still"
run_rc=0
wait "$run_pid" || run_rc=$?
run_secs=$((SECONDS - t0))
wait "$poll_pid" 2>/dev/null || true
echo "second run: $run_secs s, exit $run_rc"
[ "$run_rc" = 0 ] || tail -20 run2.err
check "second run exited 0" test "$run_rc" = 0
check "second run ok" jq_true '.status != null and .failure == null' run2.json

# 4. The dashboard during and after the run.
during_total=$(grep -c '^during' poll.txt || true)
during_200=$(grep -c '^during 200' poll.txt || true)
during_503=$(grep -c '^during 503' poll.txt || true)
during_stale=$(grep -c '^during 200 true' poll.txt || true)
echo "dashboard polls during the run: $during_total ($during_200 x 200 of which $during_stale from the last reading" \
  "while the run held the file, $during_503 x 503)"
check "dashboard polled during the run" test "$during_total" -ge 3
check "dashboard answered only 200 or 503 during the run" \
  test "$((during_200 + during_503))" -eq "$during_total"
check "dashboard mostly 200 during the run (503 at most a quarter of the polls)" \
  test "$((during_503 * 4))" -le "$during_total"
# Fresh (not the last reading) once the run let go; serve's copy may hold the file for a moment meanwhile.
check "dashboard overview 200 and fresh after the run" wait_for 10 dash_fresh overview
check "dashboard leads 200 after the run" wait_for 10 dash_ok leads

# 5. serve: every event stored and processed; the contacts' scores are in the emulator.
health="$(healthz || echo '{}')"
echo "serve /healthz after the run: $health"
check "serve stored >= 4 events, none pending" jq_true '.events >= 4 and .pending == 0' <<<"$health"
for id in "${created[@]}"; do
  check "contact $id scored by serve (readable in the emulator)" contact_scored "$id"
done

# 6. The deal flag serve could not copy while the run held the file reaches the warehouse once the run lets go
# (serve retries the copy every 5 s).
check "serve copied the deal flag into the warehouse after the run" wait_for 30 health_is '.since_start.mirrored >= 1'
health="$(healthz || echo '{}')"
echo "serve: warehouse busy $(jq .since_start.warehouse_busy <<<"$health") times (copies deferred), \
$(jq .since_start.mirrored <<<"$health") rows copied, $(jq .since_start.contacts_scored <<<"$health") contacts scored"
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null || true
check "serve exited with every event processed" grep -q ' 0 pending' serve.out
echo "side by side: $((SECONDS - t_start)) s in all"
exit "$fail"
