#!/usr/bin/env bash
# Prepare a development / CI machine (Debian + Node 20 + this clone) to build,
# test and run the project. Idempotent: when everything is in place it prints
# nothing and finishes in well under a second.
#
#   (a) npm ci when node_modules is missing or older than package-lock.json
#   (b) PostgreSQL: if nothing answers at DATABASE_URL's host:port and the host
#       is local, install (Debian packages) and/or start it; if the URL's user
#       cannot log in to a local cluster, switch 127.0.0.1/::1 to `trust` and
#       make sure the roles `root` and `postgres` are superusers
#   (c) Redis: if nothing answers at REDIS_URL's host:port and the host is
#       local, install and/or start redis-server
#   (d) create DATABASE_URL's database and the extensions pgcrypto, pg_trgm
#
# Services that already answer are never touched. Secrets (passwords in the
# URLs) are never printed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEFAULT_DATABASE_URL='postgres://postgres@127.0.0.1:5432/labor_brands'
DEFAULT_REDIS_URL='redis://127.0.0.1:6379'

log() { printf '==> %s\n' "$*"; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif have sudo; then
  SUDO=(sudo)
else
  SUDO=(__no_sudo__)
fi

need_root() {
  [[ ${SUDO[0]:-} != __no_sudo__ ]] || die "$1 needs root (run as root or install sudo)"
}

# Run a command as the OS user `postgres` (peer authentication on the socket).
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    need_root "acting as the postgres OS user"
    (cd / && sudo -u postgres -- "$@")
  fi
}

APT_UPDATED=0
apt_install() {
  need_root "apt-get install $*"
  have apt-get || die "apt-get not found: install $* by hand"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@"
}

is_local_host() {
  case "$1" in
    127.0.0.1 | localhost | ::1 | '') return 0 ;;
    *) return 1 ;;
  esac
}

tcp_open() { # host port
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# ---------------------------------------------------------------------------
# Parse the URLs (node's WHATWG URL parser: handles [::1], %-escapes, etc.)
# ---------------------------------------------------------------------------
export SETUP_DATABASE_URL="${DATABASE_URL:-$DEFAULT_DATABASE_URL}"
export SETUP_REDIS_URL="${REDIS_URL:-$DEFAULT_REDIS_URL}"
mapfile -d '' -t URL_PARTS < <(node -e '
  const out = [];
  const parse = (name, defPort) => {
    let u;
    try { u = new URL(process.env[name]); }
    catch { console.error(`==> ERROR: ${name.replace("SETUP_", "")} is not a valid URL`); process.exit(1); }
    const host = decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, "$1");
    return { u, host, port: u.port || defPort };
  };
  const pg = parse("SETUP_DATABASE_URL", "5432");
  const db = decodeURIComponent(pg.u.pathname.replace(/^\//, ""));
  out.push(pg.host || "127.0.0.1", pg.port,
    decodeURIComponent(pg.u.username), decodeURIComponent(pg.u.password),
    db, pg.u.searchParams.get("sslmode") || "");
  const r = parse("SETUP_REDIS_URL", "6379");
  out.push(r.host || "127.0.0.1", r.port);
  if (out.some((s) => /[\0\n]/.test(s))) { console.error("==> ERROR: unexpected characters in a URL"); process.exit(1); }
  process.stdout.write(out.join("\0") + "\0");
')
unset SETUP_DATABASE_URL SETUP_REDIS_URL
[[ ${#URL_PARTS[@]} -eq 8 ]] || die "could not parse DATABASE_URL / REDIS_URL"
PG_HOST=${URL_PARTS[0]}
PG_PORT=${URL_PARTS[1]}
PG_USER=${URL_PARTS[2]:-${USER:-$(id -un)}}
PG_PASS=${URL_PARTS[3]}
PG_DB=${URL_PARTS[4]}
PG_SSLMODE=${URL_PARTS[5]}
REDIS_HOST=${URL_PARTS[6]}
REDIS_PORT=${URL_PARTS[7]}
unset URL_PARTS
[[ -n $PG_DB ]] || die "DATABASE_URL names no database"

# ---------------------------------------------------------------------------
# (a) node_modules
# ---------------------------------------------------------------------------
setup_node_modules() {
  local stamp=node_modules/.setup-stamp
  if [[ ! -f package-lock.json ]]; then
    if [[ ! -d node_modules ]]; then
      log "npm install (no package-lock.json)"
      npm install --no-audit --no-fund
    fi
    return
  fi
  if [[ -d node_modules && -f $stamp && ! package-lock.json -nt $stamp ]]; then
    return
  fi
  log "npm ci (node_modules missing or older than package-lock.json)"
  npm ci --no-audit --no-fund
  touch "$stamp"
}

# ---------------------------------------------------------------------------
# (b) PostgreSQL
# ---------------------------------------------------------------------------
pg_env() { # run a libpq client with the URL's credentials (exported, never on a command line)
  (
    export PGCONNECT_TIMEOUT=5
    if [[ -n $PG_PASS ]]; then export PGPASSWORD=$PG_PASS; fi
    if [[ -n $PG_SSLMODE ]]; then export PGSSLMODE=$PG_SSLMODE; fi
    exec "$@"
  )
}

pg_answers() { # something speaks at host:port (accepting or starting up)
  if have pg_isready; then
    local rc=0
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3 || rc=$?
    [[ $rc -eq 0 || $rc -eq 1 ]]
  else
    tcp_open "$PG_HOST" "$PG_PORT"
  fi
}

pg_ready() {
  if have pg_isready; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3
  else
    tcp_open "$PG_HOST" "$PG_PORT"
  fi
}

wait_for_pg() {
  local i
  for ((i = 0; i < 60; i++)); do
    pg_ready && return 0
    sleep 0.5
  done
  die "PostgreSQL does not answer at $PG_HOST:$PG_PORT (is it starting? does listen_addresses cover $PG_HOST?)"
}

pg_newest_version() { # newest configured cluster version, else newest installed server
  local v
  v=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)
  [[ -n $v ]] || v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n1 || true)
  printf '%s' "$v"
}

pg_server_installed() {
  have pg_ctlcluster && [[ -n $(pg_newest_version) ]] && [[ -n $(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null || true) ]]
}

# Cluster (version) of a local Debian-managed cluster on $PG_PORT, if any.
pg_cluster_on_port() {
  have pg_lsclusters || return 0
  pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p && $2 == "main" { print $1; exit }'
}

PG_VERSION=''
start_local_postgres() {
  need_root "starting PostgreSQL"
  PG_VERSION=$(pg_cluster_on_port)
  [[ -n $PG_VERSION ]] || PG_VERSION=$(pg_newest_version)
  [[ -n $PG_VERSION ]] || die "no PostgreSQL version found under /etc/postgresql or /usr/lib/postgresql"

  if [[ ! -d /etc/postgresql/$PG_VERSION/main ]]; then
    log "creating PostgreSQL cluster $PG_VERSION/main on port $PG_PORT"
    "${SUDO[@]}" pg_createcluster -p "$PG_PORT" "$PG_VERSION" main >/dev/null
  fi

  local line port status
  line=$(pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" '$1 == v && $2 == "main"')
  port=$(awk '{ print $3 }' <<<"$line")
  status=$(awk '{ print $4 }' <<<"$line")
  if [[ $status == online* ]]; then
    [[ $port == "$PG_PORT" ]] ||
      die "PostgreSQL $PG_VERSION/main runs on port $port, but DATABASE_URL wants $PG_PORT"
    return 0 # e.g. started by the package's postinst on a systemd machine
  fi
  if [[ -n $port && $port != "$PG_PORT" ]]; then
    log "setting port of PostgreSQL $PG_VERSION/main to $PG_PORT"
    "${SUDO[@]}" pg_conftool "$PG_VERSION" main set port "$PG_PORT"
  fi
  log "starting PostgreSQL $PG_VERSION/main on port $PG_PORT"
  "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
}

url_user_can_connect() {
  pg_env psql -X -w -q -A -t -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres \
    -c 'select 1' >/dev/null 2>&1
}

# Development machine only: local TCP connections on 127.0.0.1 / ::1 -> trust.
make_local_trust() {
  local hba="/etc/postgresql/$PG_VERSION/main/pg_hba.conf" tmp
  need_root "editing $hba"
  [[ -f $hba ]] || die "cannot find $hba"
  log "development machine: setting 127.0.0.1/32 and ::1/128 to trust in $hba"
  tmp=$(mktemp)
  "${SUDO[@]}" cat "$hba" | awk '
    BEGIN { OFS = "\t" }
    $1 ~ /^host/ && ($4 == "127.0.0.1/32" || $4 == "::1/128") {
      if ($2 == "all" && $3 == "all") seen[$4] = 1
      lines[n++] = $1 OFS $2 OFS $3 OFS $4 OFS "trust"; next
    }
    { lines[n++] = $0 }
    END {
      # no "host all all ADDR" rule at all: put one first, so nothing shadows it
      if (!seen["127.0.0.1/32"]) print "host", "all", "all", "127.0.0.1/32", "trust"
      if (!seen["::1/128"]) print "host", "all", "all", "::1/128", "trust"
      for (i = 0; i < n; i++) print lines[i]
    }' >"$tmp"
  [[ -f $hba.setup-orig ]] || "${SUDO[@]}" cp -p "$hba" "$hba.setup-orig"
  "${SUDO[@]}" tee "$hba" <"$tmp" >/dev/null
  rm -f "$tmp"
  "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main reload
}

# Make sure the roles root and postgres exist, can log in and are superusers.
ensure_superuser_roles() {
  local ok
  ok=$(as_postgres psql -X -q -A -t -h /var/run/postgresql -p "$PG_PORT" -d postgres -c \
    "select count(*) from pg_roles where rolname in ('root','postgres') and rolsuper and rolcanlogin") ||
    die "cannot connect to the local cluster as the postgres OS user"
  [[ $ok == 2 ]] && return 0
  log "making roles root and postgres login superusers"
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -p "$PG_PORT" -d postgres >/dev/null <<'SQL'
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['root', 'postgres'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('ALTER ROLE %I WITH LOGIN SUPERUSER', r);
    ELSE
      EXECUTE format('CREATE ROLE %I WITH LOGIN SUPERUSER', r);
    END IF;
  END LOOP;
END
$$;
SQL
}

setup_postgres() {
  local started=0
  if ! pg_answers; then
    is_local_host "$PG_HOST" ||
      die "nothing answers at $PG_HOST:$PG_PORT (DATABASE_URL) and that host is not local"
    if ! pg_server_installed; then
      apt_install postgresql postgresql-contrib
    fi
    start_local_postgres
    started=1
  fi
  wait_for_pg

  if ! have psql; then
    apt_install postgresql-client
  fi

  if [[ $started -eq 1 ]]; then
    ensure_superuser_roles
  fi
  if ! url_user_can_connect; then
    is_local_host "$PG_HOST" ||
      die "cannot connect to PostgreSQL at $PG_HOST:$PG_PORT as '$PG_USER' (check DATABASE_URL)"
    [[ -n $PG_VERSION ]] || PG_VERSION=$(pg_cluster_on_port)
    [[ -n $PG_VERSION ]] ||
      die "cannot connect as '$PG_USER' and the server on port $PG_PORT is not a local Debian cluster"
    make_local_trust
    ensure_superuser_roles
    sleep 0.5
    url_user_can_connect ||
      die "still cannot connect to PostgreSQL at $PG_HOST:$PG_PORT as '$PG_USER' (does the role exist?)"
  fi
}

# ---------------------------------------------------------------------------
# (d) database + extensions
# ---------------------------------------------------------------------------
psql_url_user() { # dbname, SQL on stdin
  local db=$1
  shift
  pg_env psql -X -w -q -A -t -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$db" "$@"
}

setup_database() {
  local exists
  exists=$(psql_url_user postgres -v db="$PG_DB" <<'SQL'
SELECT count(*) FROM pg_database WHERE datname = :'db';
SQL
  ) || die "cannot query databases as '$PG_USER'"
  if [[ $exists != 1 ]]; then
    log "creating database $PG_DB"
    psql_url_user postgres -v db="$PG_DB" >/dev/null <<'SQL' || die "could not create database $PG_DB"
SELECT format('CREATE DATABASE %I', :'db') \gexec
SQL
  fi

  local have_ext
  have_ext=$(psql_url_user "$PG_DB" <<'SQL'
SELECT count(*) FROM pg_extension WHERE extname IN ('pgcrypto', 'pg_trgm');
SQL
  ) || die "cannot connect to database $PG_DB as '$PG_USER'"
  if [[ $have_ext != 2 ]]; then
    log "creating extensions pgcrypto, pg_trgm in $PG_DB"
    psql_url_user "$PG_DB" >/dev/null 2>&1 <<'SQL' ||
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL
      warn "could not create extensions pgcrypto/pg_trgm in $PG_DB as '$PG_USER' (needs a superuser)"
  fi
}

# ---------------------------------------------------------------------------
# (c) Redis
# ---------------------------------------------------------------------------
setup_redis() {
  tcp_open "$REDIS_HOST" "$REDIS_PORT" && return 0
  is_local_host "$REDIS_HOST" ||
    die "nothing answers at $REDIS_HOST:$REDIS_PORT (REDIS_URL) and that host is not local"
  have redis-server || apt_install redis-server
  # a systemd machine may have started it from the package's postinst
  tcp_open "$REDIS_HOST" "$REDIS_PORT" && return 0

  local dir logdir
  if [[ $(id -u) -eq 0 ]]; then
    dir=/var/lib/redis
    logdir=/var/log/redis
  else
    dir=${XDG_STATE_HOME:-$HOME/.local/state}/labor-brands/redis
    logdir=$dir
  fi
  mkdir -p "$dir" "$logdir"
  log "starting redis-server on port $REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
    --save "" --appendonly no --dir "$dir" --logfile "$logdir/redis-$REDIS_PORT.log" >/dev/null
  local i
  for ((i = 0; i < 40; i++)); do
    tcp_open "$REDIS_HOST" "$REDIS_PORT" && return 0
    sleep 0.25
  done
  die "redis-server did not come up on port $REDIS_PORT (see $logdir/redis-$REDIS_PORT.log)"
}

setup_node_modules
setup_postgres
setup_database
setup_redis
