#!/usr/bin/env bash
# `npm test`: the default suite. Sets up what it needs (PostgreSQL server binaries; the
# tests start their own throwaway server), runs every vitest project (node, workers, and
# the contract suite against the in-repo simulator), and ends with "N passed, N failed".
# Extra arguments go to vitest (e.g. `npm test -- test/engine`).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system-deps.sh postgres || exit 1
mkdir -p .tmp
report=.tmp/vitest-default.json
rm -f "$report"
# the contract project talks to the simulator here; the real cloud is .ci/run's job, and so
# is the sysprep project (real virt-sysprep, minutes) unless a --project argument names it
projects=(--project='!sysprep')
for a in "$@"; do case "$a" in --project*) projects=() ;; esac; done
env -u OS_CLOUD npx vitest run "${projects[@]}" --reporter=default --reporter=json --outputFile.json="$report" "$@"
rc=$?
# a full run must have run the job store contract on every driver (a filtered run need not)
required=()
if [ $# -eq 0 ]; then
  for d in sqlite postgres d1 memory; do required+=(--require "job store contract: $d"); done
fi
node scripts/vitest-summary.mjs "${required[@]}" "$report"
sum=$?
[ $rc -eq 0 ] && exit $sum || exit $rc
