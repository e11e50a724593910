#!/usr/bin/env bash
# Installs (Debian packages) and starts RabbitMQ 3.10 and PostgreSQL 15 without systemd, creates
# the AsyncGrader vhost/user/database and writes the connection settings to .cache/services.env.
#
#   scripts/services.sh [up]     install if needed, start, create vhost/user/db, write env file
#   scripts/services.sh stop     stop both
#   scripts/services.sh env      print the export lines
#   scripts/services.sh pg-stop | pg-start   stop/start PostgreSQL only (used by outage tests)
#
# Idempotent; must run as root (it uses apt-get, runuser and pg_ctlcluster).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="${ASYNCGRADER_ENV_FILE:-$ROOT/.cache/services.env}"
PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_PORT="${PG_PORT:-5432}"
DB_NAME="${ASYNCGRADER_DB_NAME:-asyncgrader}"
DB_USER="${ASYNCGRADER_DB_USER:-asyncgrader}"
DB_PASS="${ASYNCGRADER_DB_PASSWORD:-asyncgrader}"
MQ_VHOST="${ASYNCGRADER_MQ_VHOST:-asyncgrader}"
MQ_USER="${ASYNCGRADER_MQ_USER:-asyncgrader}"
MQ_PASS="${ASYNCGRADER_MQ_PASSWORD:-asyncgrader}"
MQ_PID=/var/lib/rabbitmq/mnesia/rabbit@localhost.pid

log() { echo "[services] $*" >&2; }

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pg_start() {
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql
  if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c' | grep -q .; then
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
  fi
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && return 0; sleep 0.5; done
  log "PostgreSQL did not become ready"; return 1
}

pg_stop() {
  if pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop -m fast
  fi
}

pg_setup() {
  local psql=(runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtA)
  if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$DB_USER'")" != 1 ]; then
    "${psql[@]}" -c "create role \"$DB_USER\" login password '$DB_PASS' createdb"
  fi
  if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$DB_NAME'")" != 1 ]; then
    "${psql[@]}" -c "create database \"$DB_NAME\" owner \"$DB_USER\""
  fi
}

mq_running() { rabbitmqctl -q status >/dev/null 2>&1; }

mq_start() {
  local conf=/etc/rabbitmq/rabbitmq-env.conf
  touch "$conf"
  grep -q '^NODENAME=rabbit@localhost' "$conf" || echo 'NODENAME=rabbit@localhost' >>"$conf"
  grep -q '^NODE_IP_ADDRESS=127.0.0.1' "$conf" || echo 'NODE_IP_ADDRESS=127.0.0.1' >>"$conf"
  if ! mq_running; then
    rabbitmq-server -detached
    rabbitmqctl -q wait --timeout 120 "$MQ_PID"
  fi
  rabbitmqctl -q await_startup
}

mq_setup() {
  rabbitmqctl -q add_vhost "$MQ_VHOST" >/dev/null 2>&1 || true
  if ! rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$MQ_USER"; then
    rabbitmqctl -q add_user "$MQ_USER" "$MQ_PASS" >/dev/null
  fi
  rabbitmqctl -q set_permissions -p "$MQ_VHOST" "$MQ_USER" '.*' '.*' '.*' >/dev/null
  rabbitmqctl -q set_user_tags "$MQ_USER" management monitoring >/dev/null || true
}

mq_stop() {
  if mq_running; then rabbitmqctl -q shutdown || true; fi
  epmd -kill >/dev/null 2>&1 || true
}

env_lines() {
  cat <<EOT
export ASYNCGRADER_RABBITMQ='amqp://$MQ_USER:$MQ_PASS@127.0.0.1:5672/$MQ_VHOST'
export ASYNCGRADER_POSTGRES='Host=127.0.0.1;Port=$PG_PORT;Database=$DB_NAME;Username=$DB_USER;Password=$DB_PASS;SSL Mode=Disable'
export ASYNCGRADER_PG_CLUSTER='$PG_VERSION/$PG_CLUSTER'
EOT
}

case "${1:-up}" in
  up|start)
    apt_install postgresql rabbitmq-server python3-pika python3-jsonschema
    pg_start; pg_setup
    mq_start; mq_setup
    mkdir -p "$(dirname "$ENV_FILE")"
    env_lines >"$ENV_FILE"
    log "ready; settings in $ENV_FILE"
    ;;
  stop) mq_stop; pg_stop ;;
  env) env_lines ;;
  pg-stop) pg_stop ;;
  pg-start) pg_start ;;
  *) echo "usage: $0 [up|stop|env|pg-stop|pg-start]" >&2; exit 2 ;;
esac
