#!/usr/bin/env bash
# Puts each known bug back, one at a time, and runs the simulation with the CI seed budget; every mutation must be
# caught (a test fails). A patch may name further test classes to run with the simulation on a leading line
# "# tests: LeaseRulesTest,OtherTest" (git apply ignores text before the diff); they count as catching it when one of
# their tests fails. docs/mutations/extended/ holds mutations that need a larger budget (see design notes). Restores
# the tree after each. Builds in the reactor (no install). Usage: docs/mutations/run.sh [extra mvn args, e.g.
# -Draftlib.fs=UNORDERED]
set -u
cd "$(dirname "$0")/../.."
if ! git diff --quiet -- raft-core/src/main; then
  echo "raft-core/src/main has uncommitted changes; commit or stash them first" >&2
  exit 2
fi
reports=raft-core/target/surefire-reports
status=0
for patch in docs/mutations/*.patch; do
  name=$(basename "$patch" .patch)
  extra=$(sed -n 's/^# tests: *//p' "$patch" | head -1 | tr -d ' ')
  tests=SimulationTest${extra:+,$extra}
  git apply "$patch"
  start=$(date +%s)
  rm -rf "$reports" raft-core/target/classes        # no class of an earlier mutation may survive
  mvn -B -o -pl raft-core test -Dtest="$tests" -Dsurefire.failIfNoSpecifiedTests=false "$@" \
      > "/tmp/mutation-$name.log" 2>&1
  rc=$?
  git apply -R "$patch"
  report=$reports/org.raftlib.sim.SimulationTest.txt
  failed=$(grep -c 'replay: ' "$report" 2>/dev/null || true)
  first=$(grep -o 'Draftlib.seed=[0-9]*' "$report" 2>/dev/null | head -1 | cut -d= -f2)
  rules=0
  for t in ${extra//,/ }; do
    n=$(grep -h '^Tests run:' "$reports"/*."$t".txt 2>/dev/null | sed -n 's/.*Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2/p' \
        | awk '{s += $1 + $2} END {print s + 0}')
    rules=$((rules + ${n:-0}))
  done
  took=$(( $(date +%s) - start ))
  if [ "$rc" -ne 0 ] && [ $(( ${failed:-0} + rules )) -gt 0 ]; then
    echo "$name: CAUGHT, $failed failing seeds${first:+, first seed $first}${extra:+, $rules failing tests in $extra}, $took s"
  else
    echo "$name: NOT CAUGHT (exit $rc, $failed failing seeds${extra:+, $rules failing tests in $extra};" \
        "see /tmp/mutation-$name.log), $took s"
    status=1
  fi
done
exit $status
