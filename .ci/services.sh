#!/usr/bin/env bash
# Start the servers the PostgresStore and RedisStore tests need, on loopback, and export where they are:
#   AGENTKIT_TEST_POSTGRES_DSN  postgresql://agentkit:agentkit@127.0.0.1:5432/agentkit_test
#   AGENTKIT_TEST_REDIS_URL     redis://127.0.0.1:6379/0
#
# Idempotent: installs the Debian packages (postgresql, redis-server) only when missing, starts each server only
# when it does not already answer, and creates the test role and database only once. A variable already set
# in the environment is kept and its service left alone (point the tests at your own servers that way).
#
#   source .ci/services.sh             # what .ci/run does: the variables land in the calling shell
#   eval "$(.ci/services.sh)"          # the same from an interactive shell
#
# Needs root or password-less sudo (apt-get, pg_ctlcluster). Progress goes to stderr; when executed rather than
# sourced, the export lines go to stdout.

_agentkit_services() {
  local pg_dsn_default="postgresql://agentkit:agentkit@127.0.0.1:5432/agentkit_test"
  local redis_url_default="redis://127.0.0.1:6379/0"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
      echo "services.sh: need root or sudo to install and start postgresql and redis-server" >&2
      return 1
    fi
  fi
  _say() { echo "services.sh: $*" >&2; }

  # ---------------------------------------------------------------- install what is missing
  local missing=()
  if [ -z "${AGENTKIT_TEST_POSTGRES_DSN:-}" ] && ! command -v pg_ctlcluster >/dev/null 2>&1; then
    missing+=(postgresql)
  fi
  if [ -z "${AGENTKIT_TEST_REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
    missing+=(redis-server)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    _say "installing ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    # policy-rc.d-less containers may try to start services on install; that is harmless, we (re)check below.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 || return 1
  fi

  # ---------------------------------------------------------------- PostgreSQL (Debian's cluster)
  if [ -z "${AGENTKIT_TEST_POSTGRES_DSN:-}" ]; then
    local version
    version="$(pg_lsclusters -h 2>/dev/null | awk '$3 == 5432 {print $1; exit}')"
    if [ -z "$version" ]; then
      # No cluster on 5432 yet: create one with the newest installed server (15 on Debian 12).
      version="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
      [ -n "$version" ] || { _say "no PostgreSQL server installed"; return 1; }
      _say "creating PostgreSQL $version cluster 'main' on port 5432"
      $sudo pg_createcluster --port 5432 "$version" main >&2 || return 1
    fi
    local cluster
    cluster="$(pg_lsclusters -h | awk '$3 == 5432 {print $2; exit}')"
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
      if ! pg_lsclusters -h | awk -v c="$cluster" -v v="$version" '$1 == v && $2 == c {print $4}' | grep -q online; then
        _say "starting PostgreSQL $version/$cluster on 127.0.0.1:5432"
        $sudo pg_ctlcluster "$version" "$cluster" start >&2 || return 1
      fi
      local i
      for i in $(seq 1 60); do
        pg_isready -q -h 127.0.0.1 -p 5432 && break
        sleep 0.5
      done
      pg_isready -q -h 127.0.0.1 -p 5432 || { _say "PostgreSQL did not answer on 127.0.0.1:5432 within 30s"; return 1; }
    fi
    # The test role (password login over TCP, scram per Debian's pg_hba.conf) and its database, created once.
    $sudo runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -p 5432 -d postgres >&2 <<'SQL' || return 1
SELECT 'CREATE ROLE agentkit LOGIN PASSWORD ''agentkit'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agentkit') \gexec
SELECT 'CREATE DATABASE agentkit_test OWNER agentkit'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'agentkit_test') \gexec
SQL
    export AGENTKIT_TEST_POSTGRES_DSN="$pg_dsn_default"
    _say "PostgreSQL ready: $AGENTKIT_TEST_POSTGRES_DSN"
  else
    _say "AGENTKIT_TEST_POSTGRES_DSN already set; leaving PostgreSQL alone"
  fi

  # ---------------------------------------------------------------- Redis (no persistence)
  if [ -z "${AGENTKIT_TEST_REDIS_URL:-}" ]; then
    if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" != "PONG" ]; then
      _say "starting redis-server on 127.0.0.1:6379"
      local user=()
      id redis >/dev/null 2>&1 && user=(runuser -u redis --)
      $sudo "${user[@]}" redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" \
        --appendonly no --dir /tmp --pidfile /tmp/agentkit-redis-6379.pid \
        --logfile /tmp/agentkit-redis-6379.log >&2 || return 1
      local i
      for i in $(seq 1 60); do
        [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ] && break
        sleep 0.5
      done
      [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ] ||
        { _say "redis-server did not answer on 127.0.0.1:6379 within 30s (log: /tmp/agentkit-redis-6379.log)"; return 1; }
    fi
    export AGENTKIT_TEST_REDIS_URL="$redis_url_default"
    _say "Redis ready: $AGENTKIT_TEST_REDIS_URL"
  else
    _say "AGENTKIT_TEST_REDIS_URL already set; leaving Redis alone"
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  # Executed: run strictly and print the exports for eval.
  set -euo pipefail
  _agentkit_services
  printf 'export AGENTKIT_TEST_POSTGRES_DSN=%q\nexport AGENTKIT_TEST_REDIS_URL=%q\n' \
    "$AGENTKIT_TEST_POSTGRES_DSN" "$AGENTKIT_TEST_REDIS_URL"
else
  # Sourced: a failure returns non-zero, which stops a `set -e` caller such as .ci/run.
  _agentkit_services
fi
