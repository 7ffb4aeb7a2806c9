#!/usr/bin/env bash
# docs/dashboard.png from a local run: starts the whole system as `npm start` does (every service
# its own process, the demo inbox and CRMs) with tools/dashboard-render/rules.yaml, has Debian's
# Prometheus scrape every service with deploy/prometheus/prometheus.yml's jobs and rule files
# (targets on this machine), feeds leads for FEED_MINUTES, renders the dashboard JSON's panels
# from Prometheus (render.mjs) and screenshots the page with headless Chromium.
#
# Needs: prometheus and chromium (Debian: apt-get install prometheus chromium), what `npm start`
# needs, and `npm run build` done. Grafana itself is not used (see docs/operations.md).
#
#   bash tools/dashboard-render/screenshot.sh                # docs/dashboard.png
#   KAFKA_BROKERS=… SCHEMA_REGISTRY_URL=… FEED_MINUTES=4 PORT_BASE=29610 OUT=/tmp/d.png bash …
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"

BASE=${PORT_BASE:-29610}
MINUTES=${FEED_MINUTES:-6}
RATE=${FEED_RATE:-4}
OUT=${OUT:-docs/dashboard.png}
DASHBOARD=${DASHBOARD:-deploy/grafana/dashboards/lead-router.json}
WIDTH=1600
WORK=$(mktemp -d /tmp/dashboard-render.XXXXXX)
echo "work dir: $WORK"

# Ports: the services from PORT_BASE in manifest order, then the demo receivers and Prometheus.
declare -A PORT=(
  [ingest]=$BASE [source-fetcher]=$((BASE + 1)) [normalizer]=$((BASE + 2)) [enricher]=$((BASE + 3))
  [router]=$((BASE + 4)) [sink-webhook]=$((BASE + 5)) [sink-postgres]=$((BASE + 6))
  [sink-salesforce]=$((BASE + 7)) [sink-hubspot]=$((BASE + 8)) [indexer]=$((BASE + 9))
)
INBOX=$((BASE + 10)) SALESFORCE=$((BASE + 11)) HUBSPOT=$((BASE + 12)) RECEIVER=$((BASE + 13))
PROM=$((BASE + 20))
export INGEST_PORT=${PORT[ingest]}
targets=""
for name in "${!PORT[@]}"; do
  [ "$name" = ingest ] || export "$(echo "$name" | tr 'a-z-' 'A-Z_')_PORT=${PORT[$name]}"
  targets+="${targets:+,}$name=127.0.0.1:${PORT[$name]}"
done
export INBOX_PORT=$INBOX FAKE_SALESFORCE_PORT=$SALESFORCE FAKE_HUBSPOT_PORT=$HUBSPOT
export LEAD_ROUTER_DATA=$WORK/data PG_SCHEMA=${PG_SCHEMA:-dashboard_shot} HEALTH_TIMEOUT_MS=${HEALTH_TIMEOUT_MS:-300000}
export INDEX_TABLE=${INDEX_TABLE:-dashboard_shot_trace} LOG_LEVEL=warn
sed -e "s/__INBOX__/$INBOX/; s/__SALESFORCE__/$SALESFORCE/; s/__HUBSPOT__/$HUBSPOT/" \
  -e "s/__RECEIVER__/$RECEIVER/g" tools/dashboard-render/rules.yaml >"$WORK/rules.yaml"
export ROUTING_RULES_FILE=$WORK/rules.yaml

pids=()
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT

node deploy/local/dist/start.cli.js >"$WORK/start.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 180); do
  grep -q 'lead-router is running' "$WORK/start.log" && break
  if ! kill -0 "${pids[0]}" 2>/dev/null; then cat "$WORK/start.log"; exit 1; fi
  sleep 5
done
grep -q 'lead-router is running' "$WORK/start.log" || { cat "$WORK/start.log"; exit 1; }
echo "pipeline up"

config() {
  node tools/dashboard-render/render.mjs prometheus-config --from deploy/prometheus/prometheus.yml \
    --targets "$targets" --interval 5s "$@" >"$WORK/prometheus.yml"
}
# prometheus.yml's rule files, from deploy/prometheus; without them if this Prometheus refuses them.
config --rules-dir deploy/prometheus
if ! promtool check config "$WORK/prometheus.yml" >"$WORK/promtool.log" 2>&1; then
  echo "warning: promtool refuses the rule files, Prometheus runs without them:" && cat "$WORK/promtool.log"
  config --no-rules
fi
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM" >"$WORK/prometheus.log" 2>&1 &
pids+=($!)

node tools/dashboard-render/feed.mjs --ingest "http://127.0.0.1:${PORT[ingest]}" \
  --receiver-port "$RECEIVER" --minutes "$MINUTES" --rate "$RATE" >"$WORK/feed.log" 2>&1 &
pids+=($!)
echo "feeding leads for $MINUTES min (Prometheus on http://127.0.0.1:$PROM)"
until grep -q 'the receiver stays up' "$WORK/feed.log"; do sleep 10; done
tail -1 "$WORK/feed.log"
# Retries, held leads and the lag drain after the feed; a minute more shows them settle.
sleep 60

node tools/dashboard-render/render.mjs html --dashboard "$DASHBOARD" \
  --prometheus "http://127.0.0.1:$PROM" --minutes $((MINUTES + 2)) --width $WIDTH \
  --note "Local run: $(tail -1 "$WORK/feed.log" | sed 's/; the receiver stays up//'), $(date -u +%F)." \
  --out "$WORK/dashboard.html"
height=$(node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const all = []; const walk = (ps) => { for (const p of ps ?? []) { all.push(p); walk(p.panels); } };
  walk(d.panels);
  console.log(Math.max(...all.map((p) => ((p.gridPos?.y ?? 0) + (p.gridPos?.h ?? 8)) * 30)) + 90);
' "$DASHBOARD")
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
  --window-size="$WIDTH,$height" --screenshot="$(realpath -m "$OUT")" "file://$WORK/dashboard.html" 2>"$WORK/chromium.log"
echo "wrote $OUT"
