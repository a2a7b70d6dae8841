#!/usr/bin/env bash
# Load test: a fresh PostgreSQL database, demo data plus extra patients, gunicorn on loopback
# with production settings, and locust headless for a bounded time; prints requests/s,
# p50/p95/p99 and errors per kind of request, then stops gunicorn.
#
#   loadtest/run.sh                    # defaults below; every knob is an environment variable
#   LOAD_USERS=40 LOAD_TIME=90s loadtest/run.sh
#
# Needs: PostgreSQL reachable as PGUSER at PGHOST (trust or PGPASSWORD), the `load` extra
# (pip install -e '.[load]'). Listens on 127.0.0.1 only. Not part of `make test`.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-$ROOT/.venv/bin/python}
BIN=$(dirname "$PY")
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${LOAD_DB:-loadtest}
PORT=${LOAD_PORT:-8765}
USERS=${LOAD_USERS:-20}
SPAWN_RATE=${LOAD_SPAWN_RATE:-5}
RUN_TIME=${LOAD_TIME:-100s}   # at most 2 minutes, spawning included
WORKERS=${LOAD_WORKERS:-$(( $(nproc) * 2 + 1 ))}
DRAFTS=${LOAD_DRAFTS:-$(( USERS + 10 ))}
OUT=${LOAD_OUT:-$ROOT/test-artifacts/loadtest}

case "$RUN_TIME" in
  *s) seconds=${RUN_TIME%s} ;; *m) seconds=$(( ${RUN_TIME%m} * 60 )) ;; *) seconds=$RUN_TIME ;;
esac
if (( seconds > 120 )); then echo "LOAD_TIME must be at most 2 minutes" >&2; exit 2; fi
if (( USERS > 200 || SPAWN_RATE > 50 )); then echo "keep users <= 200, spawn rate <= 50" >&2; exit 2; fi

mkdir -p "$OUT"
export DJANGO_DEBUG=false
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')}
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_SECURE_SSL_REDIRECT=false
export DJANGO_PATIENT_LINK_BASE_URL=http://127.0.0.1:$PORT
export DATABASE_URL=postgres://$PGUSER@$PGHOST:$PGPORT/$DB
export LOAD_TARGETS=$OUT/targets.json

echo "== fresh database $DB"
dropdb --if-exists "$DB"
createdb "$DB"
"$PY" manage.py migrate --no-input -v0
"$PY" manage.py seed_demo >/dev/null
"$PY" loadtest/seed_extra.py "$LOAD_TARGETS" "$DRAFTS"
"$PY" manage.py collectstatic --no-input -v0

echo "== gunicorn on 127.0.0.1:$PORT ($WORKERS workers)"
"$BIN/gunicorn" config.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --access-logfile /dev/null --error-logfile "$OUT/gunicorn.log" &
GUNICORN=$!
trap 'kill "$GUNICORN" 2>/dev/null; wait "$GUNICORN" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/login/" && break
  sleep 0.2
done

echo "== locust: $USERS users, spawn rate $SPAWN_RATE/s, $RUN_TIME"
"$BIN/locust" -f loadtest/locustfile.py --headless --host "http://127.0.0.1:$PORT" \
  --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "$RUN_TIME" --stop-timeout 5 \
  --csv "$OUT/locust" --only-summary --loglevel WARNING >"$OUT/locust.log" 2>&1 || true

"$PY" - "$OUT/locust_stats.csv" "$OUT/locust_failures.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(f"{'request':32} {'count':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
for row in rows:
    name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
    print(f"{name[:32]:32} {row['Request Count']:>7} {row['Failure Count']:>5} "
          f"{float(row['Requests/s']):7.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}")
failures = list(csv.DictReader(open(sys.argv[2])))
print("errors:", "none" if not failures else "")
for row in failures:
    print(f"  {row['Occurrences']} × {row['Method']} {row['Name']}: {row['Error']}")
EOF
