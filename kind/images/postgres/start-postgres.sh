#!/bin/sh
# The entrypoint of k8s-patterns/postgres:15, installed as /usr/local/bin/start-postgres. The real
# node's image (../postgres-image.ts) and the kind image (Dockerfile, beside this file) both copy
# this one file, so the two cannot start the server differently.
#
# Manifests are written for one of two well-known PostgreSQL images; this script reads the
# environment of either, so both run unchanged:
#
#   the official `postgres` image   POSTGRES_PASSWORD (required) for the superuser POSTGRES_USER
#                                   (default postgres), who owns the database POSTGRES_DB (default:
#                                   the user's name). Data in PGDATA, default
#                                   /var/lib/postgresql/data/pgdata.
#   sclorg's `postgresql` images    POSTGRESQL_USER, POSTGRESQL_PASSWORD and POSTGRESQL_DATABASE:
#   (Clowder's local database)      an ordinary user and the database it owns; POSTGRESQL_ADMIN_PASSWORD:
#                                   the password of the superuser postgres. Data in
#                                   /var/lib/pgsql/data/userdata (PGDATA overrides it).
#
# Any POSTGRESQL_* variable selects the second set. The first start (no PG_VERSION in the data
# directory) runs initdb and creates the roles and the database; later starts keep what is there,
# as both images do. Arguments go to postgres: `args: ["-c", "log_statement=all"]`.
#
# Who may log in how:
# - over TCP, from anywhere (the Service, port-forward, 127.0.0.1): only with a password
#   (scram-sha-256);
# - over the Unix socket, which only processes inside the pod can reach: without one (trust). This
#   is what lets the images' probes work, `pg_isready` and
#   `psql -U $(POSTGRESQL_USER) -d $(POSTGRESQL_DATABASE) -c 'SELECT 1'`, without knowing a password.
#
# POSIX sh only: busybox's on the real node, Debian's dash on kind.
set -eu

say() { echo "start-postgres: $*" >&2; }
fail() { say "$*"; exit 1; }

# postgres and initdb refuse root themselves; saying why here is kinder.
[ "$(id -u)" != 0 ] || fail "run as a non-root user (the image's user is 70, set runAsUser: 70)"

# 1. Which image's variables, and what they ask for.
if [ -n "${POSTGRESQL_USER:-}${POSTGRESQL_PASSWORD:-}${POSTGRESQL_DATABASE:-}${POSTGRESQL_ADMIN_PASSWORD:-}" ]; then
  convention=sclorg
  superuser=postgres
  superuser_password=${POSTGRESQL_ADMIN_PASSWORD:-}
  user=${POSTGRESQL_USER:-}
  password=${POSTGRESQL_PASSWORD:-}
  database=${POSTGRESQL_DATABASE:-}
  owner=${user:-$superuser}
  data=${PGDATA:-/var/lib/pgsql/data/userdata}
else
  convention=official
  superuser=${POSTGRES_USER:-postgres}
  superuser_password=${POSTGRES_PASSWORD:-}
  user=
  password=
  database=${POSTGRES_DB:-$superuser}
  owner=$superuser
  data=${PGDATA:-/var/lib/postgresql/data/pgdata}
fi

# What a new cluster needs; a started one already has its roles, so later starts need nothing.
check_variables() {
  if [ "$convention" = official ]; then
    # Without it nobody could log in over the network; the official image refuses the same way.
    [ -n "$superuser_password" ] || fail "POSTGRES_PASSWORD is not set (or use the POSTGRESQL_* variables)"
    return
  fi
  # The three describe one user and its database: all of them or none (then the admin password
  # alone makes the server usable).
  if [ -n "$user$password$database" ] && { [ -z "$user" ] || [ -z "$password" ] || [ -z "$database" ]; }; then
    fail "set all of POSTGRESQL_USER, POSTGRESQL_PASSWORD and POSTGRESQL_DATABASE, or none of them"
  fi
  [ -n "$user$superuser_password" ] || fail "set POSTGRESQL_USER, POSTGRESQL_PASSWORD and POSTGRESQL_DATABASE, or POSTGRESQL_ADMIN_PASSWORD"
}

# 2. Where the socket goes. Clients look in /var/run/postgresql unless told otherwise (PGHOST or
# -h), so that comes first; with a read-only root filesystem it must be a volume (an emptyDir).
socket=
for dir in /var/run/postgresql /tmp; do
  if [ -d "$dir" ] && [ -w "$dir" ]; then socket=$dir; break; fi
done
[ -n "$socket" ] || fail "no writable directory for the server's socket: mount an emptyDir at /var/run/postgresql"
[ "$socket" = /var/run/postgresql ] || say "/var/run/postgresql is not writable; the socket is in $socket (clients need -h $socket)"

# 3. The first start: a new cluster, its access rules, and the roles and database asked for.
if [ ! -s "$data/PG_VERSION" ]; then
  check_variables
  if [ -d "$data" ] && [ -n "$(ls -A "$data")" ]; then
    fail "$data holds files but no PostgreSQL cluster; refusing to touch it"
  fi
  # initdb works in a directory beside the real one, which is renamed into place only when
  # everything below succeeded: a container killed half-way leaves no half-made cluster that
  # the next start would take for a finished one. (When PGDATA is itself a mount point, its
  # parent is not writable and initdb works in place.)
  mkdir -p "$(dirname "$data")"
  if [ -w "$(dirname "$data")" ]; then work=$data.initializing; else work=$data; fi
  [ "$work" = "$data" ] || rm -rf "$work"
  say "initializing a new cluster in $data"
  # C collation: byte order, the same on every machine, and no locale files in the image. (So
  # initdb warns that it found no system locales; ICU's collations are imported all the same.)
  initdb -D "$work" -U "$superuser" --encoding=UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 >&2

  cat > "$work/pg_hba.conf" <<'RULES'
# Written by start-postgres. TCP needs a password; the Unix socket, reachable only inside the
# pod, does not (the probes use it).
# TYPE  DATABASE  USER  ADDRESS    METHOD
local   all       all              trust
host    all       all   0.0.0.0/0  scram-sha-256
host    all       all   ::/0       scram-sha-256
RULES
  cat >> "$work/postgresql.conf" <<'SETTINGS'

# Added by start-postgres.
listen_addresses = '*'    # every address of the pod: 0.0.0.0 (and :: where the pod has IPv6)
jit = off                 # the image leaves out LLVM, which JIT compilation needs
SETTINGS

  # A server for this process alone: no TCP, only the socket, while the roles are made.
  pg_ctl -D "$work" -w -t 60 -s -o "-c listen_addresses='' -c unix_socket_directories=$socket" start
  # Values travel as psql variables and are quoted by psql (:'text', :"name"), so a password or
  # a name with quotes in it cannot break the SQL. (psql expands variables in its input, not in -c.)
  psql -X -q -v ON_ERROR_STOP=1 -h "$socket" -U "$superuser" -d postgres \
    -v superuser="$superuser" -v superuser_password="$superuser_password" \
    -v user="$user" -v password="$password" -v database="$database" -v owner="$owner" \
    -v set_superuser_password="$([ -n "$superuser_password" ] && echo true || echo false)" \
    -v create_user="$([ -n "$user" ] && echo true || echo false)" \
    -v create_database="$([ -n "$database" ] && [ "$database" != postgres ] && echo true || echo false)" <<'SQL'
\if :set_superuser_password
ALTER ROLE :"superuser" PASSWORD :'superuser_password';
\endif
\if :create_user
CREATE ROLE :"user" LOGIN PASSWORD :'password';
\endif
\if :create_database
CREATE DATABASE :"database" OWNER :"owner";
\endif
SQL
  pg_ctl -D "$work" -m fast -w -s stop
  if [ "$work" != "$data" ]; then
    [ ! -d "$data" ] || rmdir "$data"
    mv "$work" "$data"
  fi
  say "created${user:+ user $user and} database ${database:-postgres} (superuser $superuser)"
else
  say "$data holds a cluster already; starting it as it is"
fi

# 4. The server itself, as PID 1: it gets the container's stop signal (SIGINT, a fast shutdown).
exec postgres -D "$data" -c unix_socket_directories="$socket" "$@"
