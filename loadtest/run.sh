#!/usr/bin/env bash
# Load test on the production shape of docs/deploy.md, all on loopback:
#
#   locust ──> nginx 127.0.0.1:$PORT ──least_conn──> gunicorn 127.0.0.1:$PORT+1 ┐
#                                                 └─> gunicorn 127.0.0.1:$PORT+2 ├─> PostgreSQL
#                                                              task worker (db_worker)┘   Redis db
#
# Fresh PostgreSQL database with the demo data and extra patients; cache and sessions in Redis
# (REDIS_URL, its own db number, flushed first); tasks in PostgreSQL run by `manage.py db_worker`;
# issued PDFs in one storage folder every process shares. The users log in before the runs
# (loadtest/sessions.py times it: password hashing is slow on purpose). Then locust headless,
# once per user count (at most 2 minutes each), with PDF issues in the mix, and per kind of request:
# requests/s, p50/p95/p99, errors, whether p95 meets the target, and which instance nginx sent
# the requests to. Stops everything it started at exit.
#
#   loadtest/run.sh                               # 2 instances; 20 users, then 60
#   LOAD_USERS=40 LOAD_TIME=60s loadtest/run.sh
#   LOAD_INSTANCES=1 loadtest/run.sh              # the single-instance figures, to compare
#
# Needs: PostgreSQL reachable as PGUSER at PGHOST (trust or PGPASSWORD), Redis, the `load` extra
# (pip install -e '.[load]'), nginx (Debian's package; installed with apt-get when missing).
# Listens on 127.0.0.1 only; writes only under $OUT. Not part of `make test`.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-$ROOT/.venv/bin/python}
BIN=$(dirname "$PY")
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${LOAD_DB:-loadtest}
PORT=${LOAD_PORT:-8780}                 # nginx; instance i listens on PORT+i
INSTANCES=${LOAD_INSTANCES:-2}
WORKERS=${LOAD_WORKERS:-2}              # gunicorn workers per instance (see below)
USERS_LIST=${LOAD_USERS:-20 60}         # one run per user count
SPAWN_RATE=${LOAD_SPAWN_RATE:-2}         # users logging in per second (a login costs ~0.5 s CPU)
RUN_TIME=${LOAD_TIME:-90s}              # per run, at most 2 minutes, spawning included
TARGET_MS=${LOAD_TARGET_MS:-300}        # p95 of every page (issue 16)
REDIS=${LOAD_REDIS_URL:-redis://127.0.0.1:6379/7}
WORKER_NICE=${LOAD_WORKER_NICE:-10}     # the task worker yields the cores to the web requests
OUT=${LOAD_OUT:-$ROOT/test-artifacts/loadtest}

case "$RUN_TIME" in
  *s) seconds=${RUN_TIME%s} ;; *m) seconds=$(( ${RUN_TIME%m} * 60 )) ;; *) seconds=$RUN_TIME ;;
esac
if (( seconds > 120 )); then echo "LOAD_TIME must be at most 2 minutes" >&2; exit 2; fi
max_users=0
for users in $USERS_LIST; do
  if (( users > 200 || SPAWN_RATE > 50 )); then echo "keep users <= 200, spawn rate <= 50" >&2; exit 2; fi
  if (( users > max_users )); then max_users=$users; fi
done
if (( INSTANCES < 1 || INSTANCES > 4 )); then echo "LOAD_INSTANCES: 1 to 4" >&2; exit 2; fi

if ! command -v nginx >/dev/null && [[ -x /usr/sbin/nginx ]]; then PATH=$PATH:/usr/sbin; fi
if ! command -v nginx >/dev/null; then
  echo "== installing nginx (Debian's package)"
  SUDO=; (( EUID == 0 )) || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx \
    >/dev/null || { $SUDO apt-get update -q >/dev/null &&
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx >/dev/null; }
  PATH=$PATH:/usr/sbin
fi

rm -rf "$OUT"
mkdir -p "$OUT"
export DJANGO_DEBUG=false
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')}
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SECURE_SSL_REDIRECT=false
export DJANGO_PATIENT_LINK_BASE_URL=http://127.0.0.1:$PORT
export DJANGO_TRUSTED_PROXY_COUNT=1        # nginx appends the client to X-Forwarded-For
export DATABASE_URL=postgres://$PGUSER@$PGHOST:$PGPORT/$DB
export REDIS_URL=$REDIS                     # cache and sessions, shared by the instances
export DJANGO_TASKS_BACKEND=database        # the tasks wait in PostgreSQL (docs/deploy.md)
export DJANGO_DOCUMENTS_STORAGE=filesystem  # one folder every process shares (S3 in production)
export DJANGO_MEDIA_ROOT=$OUT/media
export LOAD_TARGETS=$OUT/targets.json

# CPU seconds (user + system) used so far by these processes and their children: what a run
# costs in CPU, which the other load on a shared machine does not inflate the way it does times.
cpu_seconds() {
  local ticks=0 pid f
  for pid in "$@" $(pgrep -d' ' -P "$(IFS=,; echo "$*")"); do
    [[ -r /proc/$pid/stat ]] || continue
    read -ra f <<<"$(sed 's/^.*) //' "/proc/$pid/stat")"
    ticks=$(( ticks + f[11] + f[12] ))
  done
  echo $(( ticks * 100 / $(getconf CLK_TCK) ))  # hundredths of a second
}

PIDS=()
GUNICORN_PIDS=()
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  # The worker finishes the PDF it is rendering; past 15 s (a starved render) it is killed.
  for _ in $(seq 30); do
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && break; pid=; done
    [[ -z $pid ]] && break
    sleep 0.5
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT

echo "== fresh database $DB, Redis $REDIS flushed, storage $DJANGO_MEDIA_ROOT"
"$PY" -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()'
dropdb --if-exists "$DB"
createdb "$DB"
# WeasyPrint's font warnings go to the log; a failure prints it.
{ "$PY" manage.py migrate --no-input -v0 && "$PY" manage.py seed_demo >/dev/null &&
  "$PY" loadtest/seed_extra.py "$LOAD_TARGETS" $(( max_users + 10 )) "$max_users"; } \
  2>"$OUT/seed.log" || { cat "$OUT/seed.log" >&2; exit 1; }
"$PY" manage.py collectstatic --no-input -v0   # WhiteNoise serves them from each instance

# Workers per instance: the pages are CPU-bound (templates, forms), so more workers than cores
# only queue on the CPU; the instances, PostgreSQL, the task worker and locust share the cores.
upstream_ports=()
for i in $(seq "$INSTANCES"); do
  port=$(( PORT + i ))
  upstream_ports+=("$port")
  "$BIN/gunicorn" config.wsgi:application --bind "127.0.0.1:$port" --workers "$WORKERS" \
    --access-logfile /dev/null --error-logfile "$OUT/gunicorn-$port.log" &
  PIDS+=($!)
  GUNICORN_PIDS+=($!)
done
nice -n "$WORKER_NICE" "$PY" manage.py db_worker --no-startup-delay >"$OUT/worker.log" 2>&1 &
WORKER_PID=$!
PIDS+=($!)
conf=$("$PY" loadtest/nginx_conf.py "$OUT/nginx" "$PORT" "${upstream_ports[@]}")
nginx -t -q -p "$OUT/nginx" -c "$conf" -e "$OUT/nginx/error.log"
nginx -p "$OUT/nginx" -c "$conf" -e "$OUT/nginx/error.log" &
PIDS+=($!)

for port in "${upstream_ports[@]}" "$PORT"; do
  for _ in $(seq 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/health/" && break
    sleep 0.2
  done
  curl -fsS -o /dev/null "http://127.0.0.1:$port/health/" || {
    echo "127.0.0.1:$port/health/ is not healthy:" >&2
    curl -s "http://127.0.0.1:$port/health/" >&2; exit 1; }
done
# WhiteNoise answers the static files through nginx, hashed names cached for good.
static=$("$PY" -c 'import json; print(next(iter(json.load(open("staticfiles/staticfiles.json"))["paths"].values())))')
curl -fsS -D - -o /dev/null "http://127.0.0.1:$PORT/static/$static" | grep -qi "^cache-control:.*immutable" || {
  echo "static file $static not served immutable through nginx" >&2; exit 1; }
echo "== shape: nginx 127.0.0.1:$PORT -> $INSTANCES gunicorn instance(s) on" \
  "${upstream_ports[*]/#/127.0.0.1:} ($WORKERS workers each); task worker: db_worker (nice $WORKER_NICE);"
echo "   PostgreSQL $PGHOST:$PGPORT/$DB; Redis $REDIS; issued PDFs in $DJANGO_MEDIA_ROOT;" \
  "every instance healthy (/health/)"
echo "   machine: $(nproc) cores, $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

runs=($USERS_LIST)
export LOAD_SESSIONS=$OUT/sessions.json
"$PY" loadtest/sessions.py "http://127.0.0.1:$PORT" "$max_users" "$LOAD_SESSIONS"
echo "   (each user starts logged in with one of these sessions; the runs time the pages)"

for i in "${!runs[@]}"; do
  users=${runs[$i]}
  run=$OUT/users-$users
  mkdir -p "$run"
  first_line=$(( $(wc -l <"$OUT/nginx/access.log") + 1 ))
  web_cpu=$(cpu_seconds "${GUNICORN_PIDS[@]}")
  worker_cpu=$(cpu_seconds "$WORKER_PID")
  started=$SECONDS
  since=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
  echo
  echo "== locust: $users users, spawn rate $SPAWN_RATE/s, $RUN_TIME" \
    "(load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
  LOAD_ISSUE_WAITS=$run/issue_waits.json \
    "$BIN/locust" -f loadtest/locustfile.py --headless --host "http://127.0.0.1:$PORT" \
    --users "$users" --spawn-rate "$SPAWN_RATE" --run-time "$RUN_TIME" --stop-timeout 5 \
    --csv "$run/locust" --only-summary --loglevel WARNING >"$run/locust.log" 2>&1 || true
  web_cpu=$(( $(cpu_seconds "${GUNICORN_PIDS[@]}") - web_cpu ))
  worker_cpu=$(( $(cpu_seconds "$WORKER_PID") - worker_cpu ))
  served=$(tail -n "+$first_line" "$OUT/nginx/access.log" | wc -l)
  wall=$(( SECONDS - started ))
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "CPU in ${wall} s on $(nproc) cores: gunicorn $(( web_cpu / 100 )) s" \
    "($(( served ? web_cpu * 10 / served : 0 )) ms per request, $served requests)," \
    "task worker $(( worker_cpu / 100 )) s; the rest of the machine's load is not this test's"
  "$PY" loadtest/report.py "$run/locust_stats.csv" "$run/locust_failures.csv" \
    "$OUT/nginx/access.log" "$first_line" "$TARGET_MS" "$run/issue_waits.json"
  "$PY" loadtest/worker_report.py "$since"
  if (( i + 1 < ${#runs[@]} )); then
    # The next run starts with an empty queue (at most 2 minutes' wait), so runs do not mix.
    "$PY" loadtest/worker_report.py --drain 120
  fi
done

echo
echo "logs: $OUT (nginx/access.log names the instance of every request)"
