#!/usr/bin/env bash
# Runs the whole suite on SQLite, then again on PostgreSQL when one is reachable.
# Under CI the PostgreSQL run is mandatory. Prints which suites ran.
set -uo pipefail
BIN="${BIN:-.venv/bin}"
PG_URL="${TEST_DATABASE_URL:-${TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}}"
ran=()

echo "=== Test suite on SQLite ==="
TEST_DATABASE_URL="sqlite" "$BIN/pytest" "$@"
rc=$?
[ $rc -eq 0 ] || { echo "SQLite suite failed (exit $rc)"; exit $rc; }
ran+=("SQLite")

if "$BIN/python" -m tests.pg_check "$PG_URL"; then
  echo "=== Test suite on PostgreSQL ==="
  TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" "$@"
  rc=$?
  [ $rc -eq 0 ] || { echo "PostgreSQL suite failed (exit $rc)"; exit $rc; }
  ran+=("PostgreSQL")
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at the TEST_DATABASE_URL server, and CI requires it." >&2
  exit 1
else
  echo "PostgreSQL not reachable: its run was skipped (set TEST_DATABASE_URL to a server)."
fi
echo "Suites run: ${ran[*]}"
