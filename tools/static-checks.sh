#!/usr/bin/env bash
# npm test's static checks. ESLint's typed rules take about a minute of one core; the type check,
# the dead-code check, Prettier and the dependency audit (which builds) run meanwhile on the other.
# Every check runs to its end; the exit code is 1 when any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

npm run -s lint &
lint=$!
status=0
npm run -s typecheck || status=1
npm run -s deadcode || status=1
npm run -s format:check || status=1
AUDIT_OFFLINE_OK=true npm run -s audit:deps || status=1
wait "$lint" || { echo 'static checks: ESLint failed'; status=1; }
exit "$status"
