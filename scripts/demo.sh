#!/usr/bin/env bash
# THE main job on a fresh machine: builds the runtimes, starts RabbitMQ and PostgreSQL, applies
# the migrations, starts the worker, publishes the sample jobs in examples/jobs/ with a plain
# Python AMQP client (pika, no MassTransit), prints each GradeCompleted, shows one job through
# the HTTP API, then stops the worker (services keep running: scripts/services.sh stop).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$PATH:/usr/sbin:/sbin" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
PORT="${ASYNCGRADER_DEMO_PORT:-5080}"

bash scripts/prereqs.sh
bash scripts/build-runtimes.sh
bash scripts/services.sh up
# shellcheck disable=SC1091
source .cache/services.env

dotnet build src/AsyncGrader.Worker -c Release -v q -nologo
dotnet run --project src/AsyncGrader.Worker -c Release --no-build -- migrate

LOG="$ROOT/.cache/worker.log"
ASPNETCORE_URLS="http://127.0.0.1:$PORT" dotnet run --project src/AsyncGrader.Worker -c Release --no-build >"$LOG" 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null; wait $WORKER 2>/dev/null || true' EXIT
echo "==> worker started (pid $WORKER, log $LOG); waiting for /health/ready (runtimes compile and snapshot first)"
for _ in $(seq 1 240); do
  curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 $WORKER 2>/dev/null || { cat "$LOG"; echo "worker exited" >&2; exit 1; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null || { tail -50 "$LOG"; echo "worker not ready" >&2; exit 1; }

RUN="demo-$(date +%s)"
for job in examples/jobs/*.json; do
  id="$RUN-$(basename "$job" .json)"
  /usr/bin/python3 - "$job" "$id" >"$ROOT/.cache/job.json" <<'PY'
import json, sys
job = json.load(open(sys.argv[1])); job["job_id"] = sys.argv[2]; print(json.dumps(job))
PY
  echo "==> $(basename "$job")"
  # Debian's python3 (with python3-pika), not whatever python3 comes first on PATH.
  /usr/bin/python3 examples/pika_client.py submit --amqp "$ASYNCGRADER_RABBITMQ" --job-file "$ROOT/.cache/job.json" --timeout 120 \
    | /usr/bin/python3 examples/print_completion.py
done
echo "==> GET /jobs/$RUN-01-python-correct"
curl -fsS "http://127.0.0.1:$PORT/jobs/$RUN-01-python-correct" | /usr/bin/python3 -m json.tool
