#!/usr/bin/env bash
# Puts each known bug back, one at a time, and runs the simulation with the CI seed budget; every mutation must be
# caught (the test fails). docs/mutations/extended/ holds mutations that need a larger budget (see design notes). Restores the tree after each. Usage: docs/mutations/run.sh [extra mvn args, e.g. -Draftlib.fs=UNORDERED]
set -u
cd "$(dirname "$0")/../.."
if ! git diff --quiet -- raft-core/src/main; then
  echo "raft-core/src/main has uncommitted changes; commit or stash them first" >&2
  exit 2
fi
mvn -B -q -o -pl raft-core -am install -DskipTests >/dev/null 2>&1 || mvn -B -q -pl raft-core -am install -DskipTests
status=0
for patch in docs/mutations/*.patch; do
  name=$(basename "$patch" .patch)
  git apply "$patch"
  start=$(date +%s)
  mvn -B -o -pl raft-core test -Dtest=SimulationTest -Dsurefire.failIfNoSpecifiedTests=false "$@" > "/tmp/mutation-$name.log" 2>&1
  rc=$?
  git apply -R "$patch"
  report=raft-core/target/surefire-reports/org.raftlib.sim.SimulationTest.txt
  failed=$(grep -c 'replay: ' "$report" 2>/dev/null || true)
  first=$(grep -o 'Draftlib.seed=[0-9]*' "$report" 2>/dev/null | head -1 | cut -d= -f2)
  if [ "$rc" -ne 0 ] && [ "${failed:-0}" -gt 0 ]; then
    echo "$name: CAUGHT, $failed failing seeds, first seed ${first:-?}, $(( $(date +%s) - start )) s"
  else
    echo "$name: NOT CAUGHT (exit $rc, $failed failing seeds; see /tmp/mutation-$name.log), $(( $(date +%s) - start )) s"
    status=1
  fi
done
exit $status
