# Shared shell helpers for scripts/dev.sh and tests/peers/stack.sh: local PostgreSQL and Redis
# on 127.0.0.1, free ports, waiting by polling (never sleeping blindly), stopping by PID.
# shellcheck shell=bash

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -n "$d" ] || { echo "PostgreSQL server binaries not found (run scripts/install-deps.sh)" >&2; return 1; }
  echo "$d"
}

# initdb and postgres refuse to run as root; run them as the 'postgres' system user then.
as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( (RANDOM % 30000) + 20000 ))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  echo "no free port found" >&2; return 1
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s.
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out waiting for $what" >&2; return 1; fi
    sleep 0.1
  done
}

# wait_ready SECONDS DESCRIPTION PID FILE: waits for a process to write FILE (non-empty); gives up
# at once if the process has died, so a crash is reported as a crash and not as a slow start.
wait_ready() {
  local limit=$1 what=$2 pid=$3 file=$4
  local start deadline
  start=$(date +%s); deadline=$(( start + limit ))
  until [ -s "$file" ]; do
    kill -0 "$pid" 2>/dev/null || { echo "$what exited before it was ready" >&2; return 1; }
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "timed out waiting for $what after ${limit} s" >&2; return 1; fi
    sleep 0.1
  done
}

# pg_start DATA_DIR PORT: creates the cluster on first use (user 'triage', trust auth on loopback
# only) and starts it in the background. Prints nothing on success.
pg_start() {
  local dir=$1 port=$2 bin
  bin=$(pg_bindir) || return 1
  if [ -f "$dir/postmaster.pid" ] && "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then return 0; fi
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
  chmod 700 "$dir"
  if [ ! -f "$dir/PG_VERSION" ]; then
    as_pg_user "$bin/initdb" -D "$dir" -A trust -U postgres --encoding=UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
      || { cat "$dir.initdb.log" >&2; return 1; }
  fi
  rm -f "$dir/postmaster.pid.stale"
  as_pg_user "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${PG_FSYNC:-on}" start >/dev/null \
    || { tail -n 20 "$dir/server.log" >&2; return 1; }
  wait_until 30 "PostgreSQL on port $port" "$bin/pg_isready" -h 127.0.0.1 -p "$port"
  psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc "SELECT 1 FROM pg_roles WHERE rolname='triage'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE ROLE triage LOGIN" >/dev/null
  psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='triage'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE triage OWNER triage" >/dev/null
}

pg_stop() {
  local dir=$1 bin
  bin=$(pg_bindir) || return 0
  [ -f "$dir/postmaster.pid" ] && as_pg_user "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
}

# redis_start DIR PORT: foreground Redis in the background of this shell; PID in DIR/redis.pid.
redis_start() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  # Already running (a drill's clean-up may ask twice): keep it, and keep its PID file true.
  if [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; then return 0; fi
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
    --logfile "$dir/redis.log" --daemonize no >/dev/null 2>&1 </dev/null &
  echo $! >"$dir/redis.pid"
  wait_until 20 "Redis on port $port" redis-cli -h 127.0.0.1 -p "$port" ping
}

redis_stop() {
  local dir=$1 pid
  [ -f "$dir/redis.pid" ] || return 0
  pid=$(cat "$dir/redis.pid")
  kill "$pid" 2>/dev/null || true
  wait_until 10 "Redis to stop" bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/redis.pid"
}

# Self-signed certificate for development and tests: CN and SAN for 127.0.0.1 and localhost.
make_dev_cert() {
  local dir=$1
  [ -f "$dir/tls.crt" ] && [ -f "$dir/tls.key" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" >/dev/null 2>&1
  chmod 600 "$dir/tls.key"
}
