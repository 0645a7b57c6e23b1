#!/bin/sh
# Runs the forge suite (unit, fuzz, invariant) from anywhere and prints a summary.
#   sh contracts/scripts/forge-test.sh                 # from the repo root
#   npm run test:forge -w @cohort/contracts [-- extra forge args]
# Run counts: foundry.toml ([fuzz] runs, [invariant] runs/depth); override with
# FOUNDRY_FUZZ_RUNS / FOUNDRY_INVARIANT_RUNS / FOUNDRY_INVARIANT_DEPTH.
set -eu
cd "$(dirname "$0")/.."
FORGE="$(pwd)/../node_modules/.bin/forge"
[ -x "$FORGE" ] || FORGE="npx forge"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
$FORGE test "$@" >"$log" 2>&1 || status=$?
# Per-test lines and suite results; the full log on failure.
grep -E '^\[(PASS|FAIL)|^Suite result|^Ran [0-9]+ test suites|^Encountered|Failing tests' "$log" || true
# For `npm test`'s closing count line: "Ran N test suites …: P tests passed, F failed, S skipped".
if [ -n "${COHORT_FORGE_COUNTS:-}" ]; then
  grep -E '^Ran [0-9]+ test suites' "$log" | tail -1 >"$COHORT_FORGE_COUNTS" || true
fi
if [ "$status" -ne 0 ]; then
  echo "---- forge output ----"
  cat "$log"
fi
exit "$status"
