#!/usr/bin/env bash
# Quick start: installs what is missing, builds, starts PostgreSQL and Redis on 127.0.0.1 with
# their data under .run/, migrates, seeds the demo clinic, creates a development master key and
# a self-signed certificate, and runs triaged in the foreground. Ctrl-C stops everything it
# started. Safe to run again: existing data, key and certificate are reused.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

run=${TRIAGE_RUN_DIR:-$here/.run}
port=${TRIAGE_PORT:-8443}
metrics_port=${TRIAGE_METRICS_PORT:-9464}

bash scripts/install-deps.sh
bash scripts/build.sh

mkdir -p "$run"
# Traversable for the postgres system user (initdb runs as it); the secrets inside are 0600.
chmod 711 "$run"
pids=()
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "==> stopping"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  redis_stop "$run/redis"
  pg_stop "$run/postgres"
}
trap cleanup EXIT INT TERM

# Ports: fixed per checkout once chosen, so bookmarks keep working between runs.
[ -f "$run/ports" ] || echo "PG_PORT=$(free_port) REDIS_PORT=$(free_port)" >"$run/ports"
# shellcheck disable=SC1091
source <(tr ' ' '\n' <"$run/ports")
port_in_use "$port" && { echo "port $port is in use; set TRIAGE_PORT to another" >&2; exit 1; }
port_in_use "$metrics_port" && { echo "port $metrics_port is in use; set TRIAGE_METRICS_PORT to another" >&2; exit 1; }

echo "==> PostgreSQL on 127.0.0.1:$PG_PORT (data in .run/postgres)"
pg_stop "$run/postgres"
pg_start "$run/postgres" "$PG_PORT"
echo "==> Redis on 127.0.0.1:$REDIS_PORT"
redis_stop "$run/redis"
redis_start "$run/redis" "$REDIS_PORT"
pids+=("$(cat "$run/redis/redis.pid")")

# A demo EHR: the FHIR R4 scheduling test server (tests/peers/fhir), in memory, seeded with
# three practitioners, five patients (e.g. Maria Garcia, born 02/14/1980, phone 555-0101) and
# three weeks of weekday slots, 09:00-17:00 UTC.
rm -f "$run/fhir.port"
node tests/peers/fhir/server.mjs --port-file "$run/fhir.port" >"$run/fhir.log" 2>&1 &
pids+=("$!")
wait_until 30 "the demo EHR" test -s "$run/fhir.port"
echo "==> demo EHR (FHIR R4, in memory) on http://127.0.0.1:$(cat "$run/fhir.port")/fhir"

[ -f "$run/master.key" ] || { (umask 077; build/server/triagectl gen-master-key >"$run/master.key"); echo "==> created development master key .run/master.key"; }
make_dev_cert "$run"

cat >"$run/triaged.yaml" <<YAML
# Written by scripts/dev.sh; see docs/configuration.md.
mode: development
listen: { address: 127.0.0.1, port: $port }
tls: { certificate: $run/tls.crt, private_key: $run/tls.key }
master_key_file: $run/master.key
web_root: $here/web
flow_file: $here/dialog/flows/default.yaml
intents_file: $here/dialog/intents.yaml
intent_model: $here/dialog/intents/model.bin
urgency_model: $here/triage-rules/model/urgency.bin
language_model: $here/dialog/language/model.bin
rule_packs: [$here/triage-rules/packs/core.yaml]
metrics: { listen: { address: 127.0.0.1, port: $metrics_port } }
redis: { port: $REDIS_PORT }
postgres: { port: $PG_PORT }
fhir:
  base_url: http://127.0.0.1:$(cat "$run/fhir.port")/fhir
  identifier_system: "urn:triage:demo:booking"
  services: { in_person: "urn:triage:test:service-type|general-practice", video: "urn:triage:test:service-type|telehealth", phone: "urn:triage:test:service-type|telehealth" }
YAML

build/server/triagectl --config "$run/triaged.yaml" migrate
build/server/triagectl --config "$run/triaged.yaml" seed-demo --origin "https://127.0.0.1:$port" --origin "https://localhost:$port"
# A demo front-desk account and a few canned replies for the escalation desk.
printf '%s\n' "demo-desk-password" | build/server/triagectl --config "$run/triaged.yaml" staff add demo desk@demo.test \
  --name Dana --role front_desk --password-stdin >/dev/null
build/server/triagectl --config "$run/triaged.yaml" canned-reply set demo "Calling you now" \
  --en "I'm calling you now on the number you gave us." --es "Le estoy llamando ahora al número que nos dio." >/dev/null
build/server/triagectl --config "$run/triaged.yaml" canned-reply set demo "Call 911" \
  --en "Please call 911 now or go to the nearest emergency department." \
  --es "Llame al 911 ahora o vaya a la sala de emergencias más cercana." >/dev/null

build/server/triaged --config "$run/triaged.yaml" &
pids+=("$!")
wait_until 30 "triaged" curl -ksf "https://127.0.0.1:$port/healthz"
cat <<MSG

  Triage chat is running (self-signed certificate: accept the browser warning once).
    Patient chat:  https://127.0.0.1:$port/chat/?clinic=demo
    Staff console: https://127.0.0.1:$port/staff/?clinic=demo  (desk@demo.test / demo-desk-password)
    Demo portal:   https://127.0.0.1:$port/
    Health:        https://127.0.0.1:$port/healthz   Readiness: https://127.0.0.1:$port/readyz
    Metrics:       http://127.0.0.1:$metrics_port/metrics  (Prometheus; log levels at /log-levels)
    Demo EHR:      http://127.0.0.1:$(cat "$run/fhir.port")/fhir  (book as Maria Garcia, 02/14/1980, 555-0101)
  Press Ctrl-C to stop everything.

MSG
wait "${pids[-1]}"
