#!/usr/bin/env bash
# Make sure a local PostgreSQL is installed and running, with a password for `postgres`, and
# print the URL tests use (REVLENS_TEST_POSTGRES_URL). Used by `make test` and .ci/run.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "ensure_postgres: installing postgresql" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
ver="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$ver" ]; then
  echo "ensure_postgres: no cluster found under /etc/postgresql" >&2
  exit 1
fi
if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
  echo "ensure_postgres: starting cluster $ver/main" >&2
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 || pg_ctlcluster "$ver" main start >&2
fi
port="$(pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $3}')"
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 0.5
done
# A known password for the test role (local test cluster only).
su postgres -c "psql -q -p $port -c \"ALTER USER postgres PASSWORD 'revlens-test'\"" >/dev/null
echo "postgresql://postgres:revlens-test@127.0.0.1:${port}/postgres"
