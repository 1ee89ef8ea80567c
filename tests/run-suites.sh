#!/usr/bin/env bash
# Runs the whole suite on SQLite, then again on PostgreSQL when one is reachable, then the
# search tests on the PostgreSQL search engine.
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
  # Third pass: the search tests (and the anonymity test, which diffs every table) on the
  # PostgreSQL search engine; the tests of Whoosh's own files are deselected, not skipped.
  # The browser search test is left to the passes above (it starts Chromium: slow).
  echo "=== Search tests on PostgreSQL with INTRANET_SEARCH_BACKEND=postgresql ==="
  TEST_DATABASE_URL="$PG_URL" TEST_SEARCH_BACKEND=postgresql "$BIN/pytest" -m "not whoosh_only" \
    tests/search tests/suggestions/test_anonymity.py
  rc=$?
  [ $rc -eq 0 ] || { echo "PostgreSQL search suite failed (exit $rc)"; exit $rc; }
  ran+=("PostgreSQL search")
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at the TEST_DATABASE_URL server, and CI requires it." >&2
  exit 1
else
  echo "PostgreSQL not reachable: its run was skipped (set TEST_DATABASE_URL to a server)."
fi
echo "Suites run: ${ran[*]}"
