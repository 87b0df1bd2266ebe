#!/usr/bin/env bash
# Starts and stops the real services the integration, end-to-end and browser tests use, all on
# 127.0.0.1 with ports chosen now, in a temporary folder:
#   stack.sh start DIR        PostgreSQL, Redis, migrations, demo clinic, triaged; writes DIR/env
#   stack.sh stop DIR         stops everything it started, by PID
#   stack.sh stop-redis DIR | start-redis DIR | stop-postgres DIR | start-postgres DIR
#                             outage drills for the failure tests (same ports, same data)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
source "$here/scripts/lib.sh"
cmd=${1:?usage: stack.sh start|stop|... DIR}
dir=${2:?usage: stack.sh $cmd DIR}
build=${TRIAGE_BUILD_DIR:-$here/build}

load_env() { set -a; # shellcheck disable=SC1091
  source "$dir/env"; set +a; }

# start_server NAME: runs triaged with DIR/NAME.yaml, PID in DIR/NAME.pid, URL in DIR/NAME.ready.
start_server() {
  local name=$1
  rm -f "$dir/$name.ready"
  "$build/server/triaged" --config "$dir/$name.yaml" >>"$dir/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
  wait_until 60 "$name to listen" test -s "$dir/$name.ready" || { tail -n 30 "$dir/$name.log" >&2; return 1; }
}

stop_pid_file() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f"); kill "$pid" 2>/dev/null || true
  wait_until 10 "$f to stop" bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
  rm -f "$f"
}

case "$cmd" in
start)
  # A run that crashed may have left its stack behind: stop it before starting afresh.
  [ -d "$dir" ] && "$0" stop "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
  mkdir -p "$dir"
  pg_port=$(free_port); redis_port=$(free_port)
  # Tests do not need crash durability; fsync off keeps them quick on slow disks.
  PG_FSYNC=off pg_start "$dir/postgres" "$pg_port"
  redis_start "$dir/redis" "$redis_port"
  "$build/server/triagectl" gen-master-key >"$dir/master.key"
  chmod 600 "$dir/master.key"
  make_dev_cert "$dir"
  # Instance "a" listens on a port chosen now, so that the OpenID provider knows its callback.
  a_port=$(free_port)
  # "a" serves the operator's endpoints (/metrics, /log-levels) on a port of their own; "b"
  # serves /metrics on its main port behind a bearer token.
  a_metrics_port=$(free_port)
  metrics_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  # The OpenID provider (tests/peers/oidc), for SMART backend tokens and staff sign-in.
  mkdir -p "$dir/oidc"
  node "$here/tests/peers/oidc/provider.mjs" --dir "$dir/oidc" --redirect-uri "http://127.0.0.1:$a_port/staff/callback" \
    --post-logout-uri "http://127.0.0.1:$a_port/staff/" \
    --fhir-audience "http://127.0.0.1/fhir" >"$dir/oidc.out" 2>&1 </dev/null &
  echo $! >"$dir/oidc.pid"
  # Generous: a fresh CI machine once took over 30 s here (the provider now logs each stage).
  wait_ready 120 "the OpenID provider" "$(cat "$dir/oidc.pid")" "$dir/oidc/oidc.json" || { cat "$dir/oidc.out" >&2; exit 1; }
  # A FHIR R4 scheduling server (tests/peers/fhir), with the IHE operations.
  node "$here/tests/peers/fhir/server.mjs" --port-file "$dir/fhir.port" >"$dir/fhir.out" 2>&1 </dev/null &
  echo $! >"$dir/fhir.pid"
  wait_ready 120 "the FHIR server" "$(cat "$dir/fhir.pid")" "$dir/fhir.port" || { cat "$dir/fhir.out" >&2; exit 1; }
  # A second one without the IHE operations, for instance "c" (transaction strategy); the
  # outage tests stop it.
  node "$here/tests/peers/fhir/server.mjs" --port-file "$dir/fhir-c.port" --no-ihe >"$dir/fhir-c.out" 2>&1 </dev/null &
  echo $! >"$dir/fhir-c.pid"
  wait_ready 120 "the second FHIR server" "$(cat "$dir/fhir-c.pid")" "$dir/fhir-c.port" || { cat "$dir/fhir-c.out" >&2; exit 1; }
  token_url=$(node -p "require('$dir/oidc/oidc.json').token_endpoint")
  oidc_issuer=$(node -p "require('$dir/oidc/oidc.json').issuer")
  sso_secret=$(node -p "require('$dir/oidc/oidc.json').clients['staff-console'].client_secret")
  # A scripted chat-completions endpoint for instance "c" (tests/peers/scripted_llm.mjs).
  node "$here/tests/peers/scripted_llm.mjs" "$dir/llm.port" "$dir/llm.log" >"$dir/llm.out" 2>&1 </dev/null &
  echo $! >"$dir/llm.pid"
  wait_ready 120 "the scripted LLM to listen" "$(cat "$dir/llm.pid")" "$dir/llm.port" || { cat "$dir/llm.out" >&2; exit 1; }
  # Instances sharing Redis and PostgreSQL: "a" plain on loopback (development), "b" over TLS,
  # "c" plain with the remote intent model (one I/O thread, so its circuit breaker is one).
  for name in a b c; do
    # "b" also loads a clinic pack with an override (tests/peers/clinic_pack.yaml).
    packs=${TRIAGE_TEST_RULE_PACK:-$here/triage-rules/packs/core.yaml}
    tls=""; extra=""; threads=2; model_line=""; port=0; sso=""; metrics=""
    if [ "$name" = a ]; then
      port=$a_port
      metrics="metrics: { listen: { address: 127.0.0.1, port: $a_metrics_port } }"
      sso="staff_sso: { issuer: \"$oidc_issuer\", client_id: staff-console, redirect_uri: \"http://127.0.0.1:$a_port/staff/callback\", post_logout_redirect_uri: \"http://127.0.0.1:$a_port/staff/\" }"
    fi
    # Booking: "a" books through the IHE operations with a SMART backend token from the OpenID
    # provider; "c" through Slot search and transactions with a static token; "b" has no EHR.
    fhir="fhir: { base_url: \"http://127.0.0.1:$(cat "$dir/fhir.port")/fhir\", auth: smart, token_url: \"$token_url\", client_id: fhir-backend, key_file: $dir/oidc/fhir-backend-rs384.pem, key_algorithm: RS384, key_id: fhir-backend-rs384, identifier_system: \"urn:triage:test:booking\", services: { in_person: \"urn:triage:test:service-type|general-practice\", video: \"urn:triage:test:service-type|telehealth\", phone: \"urn:triage:test:service-type|telehealth\" } }"
    if [ "$name" = b ]; then tls="tls: { certificate: $dir/tls.crt, private_key: $dir/tls.key }"; packs="$packs, $here/tests/peers/clinic_pack.yaml"; fi
    if [ "$name" = c ]; then
      threads=1
      # Its own copy of the intent model, so the reload test can break and restore it.
      mkdir -p "$dir/model"
      cp "$here/dialog/intents/model.bin" "$here/dialog/intents/model.card.json" "$dir/model/"
      extra="remote_intent: { url: \"http://127.0.0.1:$(cat "$dir/llm.port")/v1\", model: scripted, timeout_ms: 400, failures_to_open: 2, open_seconds: 600 }"
      model_line="intent_model: $dir/model/model.bin"
      fhir="fhir: { base_url: \"http://127.0.0.1:$(cat "$dir/fhir-c.port")/fhir\", auth: static, timeout_ms: 1000, max_attempts: 2, failures_to_open: 50, identifier_system: \"urn:triage:test:booking\", services: { in_person: \"urn:triage:test:service-type|general-practice\", video: \"urn:triage:test:service-type|telehealth\", phone: \"urn:triage:test:service-type|telehealth\" } }"
    fi
    [ "$name" = b ] && fhir=""
  cat >"$dir/$name.yaml" <<YAML
mode: development
listen: { address: 127.0.0.1, port: $port }
$tls
$sso
master_key_file: $dir/master.key
ready_file: $dir/$name.ready
web_root: $here/web
flow_file: $here/dialog/flows/default.yaml
intents_file: $here/dialog/intents.yaml
${model_line:-intent_model: $here/dialog/intents/model.bin}
rule_packs: [$packs]
urgency_model: $here/triage-rules/model/urgency.bin
language_model: $here/dialog/language/model.bin
io_threads: $threads
$metrics
$extra
$fhir
redis: { port: $redis_port, command_timeout_ms: 300 }
postgres: { port: $pg_port, query_timeout_ms: 1500 }
log: { level: ${TRIAGE_TEST_LOG_LEVEL:-debug}, file: $dir/$name.log }
YAML
  done
  "$build/server/triagectl" --config "$dir/a.yaml" migrate >/dev/null
  "$build/server/triagectl" --config "$dir/a.yaml" seed-demo --origin "http://portal.example.test" --time-zone Europe/London >/dev/null
  "$build/server/triagectl" --config "$dir/a.yaml" clinic add other "Other Clinic" >/dev/null
  # Staff of both clinics (local password <name>-local-pass), bound to the provider's test users.
  for who in "frontdesk front_desk Fran" "nurse nurse Nora" "admin clinic_admin Ada" "auditor auditor Audrey"; do
    # shellcheck disable=SC2086
    set -- $who
    printf '%s\n' "$1-local-pass" | "$build/server/triagectl" --config "$dir/a.yaml" staff add demo "$1@demo.test" \
      --name "$3" --role "$2" --password-stdin --oidc-subject "$1-demo" >/dev/null
  done
  printf '%s\n' "frontdesk-local-pass" | "$build/server/triagectl" --config "$dir/a.yaml" staff add other \
    frontdesk@other.test --name Otto --role front_desk --password-stdin --oidc-subject frontdesk-other >/dev/null
  TRIAGE_STAFF_SSO_CLIENT_SECRET="$sso_secret" start_server a
  TRIAGE_METRICS_TOKEN="$metrics_token" start_server b
  TRIAGE_FHIR_STATIC_TOKEN=stack-static-token start_server c
  base=$(cat "$dir/a.ready")
  cat >"$dir/env" <<ENV
TRIAGE_TEST_DIR=$dir
TRIAGE_TEST_BASE_URL=$base
TRIAGE_TEST_PG_PORT=$pg_port
TRIAGE_TEST_REDIS_PORT=$redis_port
TRIAGE_TEST_SERVER_LOG=$dir/a.log
TRIAGE_TEST_TLS_BASE_URL=$(cat "$dir/b.ready")
TRIAGE_TEST_TLS_SERVER_LOG=$dir/b.log
TRIAGE_TEST_TLS_CA=$dir/tls.crt
TRIAGE_TEST_MASTER_KEY_FILE=$dir/master.key
TRIAGE_TEST_STACK=$here/tests/peers/stack.sh
TRIAGE_TEST_REMOTE_BASE_URL=$(cat "$dir/c.ready")
TRIAGE_TEST_LLM_LOG=$dir/llm.log
TRIAGE_TEST_TRIAGECTL=$build/server/triagectl
TRIAGE_TEST_OIDC_DIR=$dir/oidc
TRIAGE_TEST_OIDC_ISSUER=$oidc_issuer
TRIAGE_TEST_FHIR_BASE=http://127.0.0.1:$(cat "$dir/fhir.port")/fhir
TRIAGE_TEST_FHIR_C_BASE=http://127.0.0.1:$(cat "$dir/fhir-c.port")/fhir
TRIAGE_TEST_FHIR_C_PID_FILE=$dir/fhir-c.pid
TRIAGE_TEST_REMOTE_SERVER_LOG=$dir/c.log
TRIAGE_TEST_REMOTE_PID_FILE=$dir/c.pid
TRIAGE_TEST_REMOTE_MODEL=$dir/model/model.bin
TRIAGE_TEST_SOURCE_DIR=$here
TRIAGE_TEST_METRICS_URL=http://127.0.0.1:$a_metrics_port
TRIAGE_TEST_METRICS_TOKEN=$metrics_token
TRIAGE_TEST_PROMETHEUS_BIN=$here/tests/.tools/prometheus/usr/bin
ENV
  echo "test stack up: $base and $(cat "$dir/b.ready") (PostgreSQL $pg_port, Redis $redis_port) in $dir"
  ;;
stop)
  stop_pid_file "$dir/a.pid"
  stop_pid_file "$dir/b.pid"
  stop_pid_file "$dir/c.pid"
  stop_pid_file "$dir/llm.pid"
  stop_pid_file "$dir/oidc.pid"
  stop_pid_file "$dir/fhir.pid"
  stop_pid_file "$dir/fhir-c.pid"
  redis_stop "$dir/redis"
  pg_stop "$dir/postgres"
  echo "test stack stopped"
  ;;
stop-redis) redis_stop "$dir/redis" ;;
start-redis) load_env; redis_start "$dir/redis" "$TRIAGE_TEST_REDIS_PORT" ;;
stop-postgres) pg_stop "$dir/postgres" ;;
start-postgres) load_env; pg_start "$dir/postgres" "$TRIAGE_TEST_PG_PORT" ;;
*) echo "unknown command $cmd" >&2; exit 2 ;;
esac
