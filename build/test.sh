#!/usr/bin/env bash
# The project's test command: installs what the tests need, restores, builds, runs every test project,
# and ends with the line "N passed, N failed[, N skipped]". Exits non-zero when anything failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash build/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"

if ! dotnet build Kafka.Hosting.sln -c Release -nologo -v:q; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
for proj in test/*/*.csproj; do
  name="$(basename "$proj" .csproj)"
  # Benchmarks are run by build/bench.sh, not here.
  case "$name" in *Benchmarks*) continue;; esac
  # A test that hangs is killed after 5 minutes; the package tests pack, build a worker from the packages and
  # publish it as native AOT (a few minutes on a busy machine), each run with its own guard.
  hang=5m
  case "$name" in Kafka.Packaging.Tests) hang=25m;; esac
  echo "== $name"
  if ! dotnet test "$proj" -c Release --no-build -nologo \
      --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
      --results-directory "$results" --blame-hang-timeout "$hang"; then
    status=1
  fi
done

passed=0; failed=0; skipped=0; seen=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  seen=$((seen + 1))
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  p=$(get passed); f=$(get failed); e=$(get error); t=$(get total); x=$(get executed); to=$(get timeout); ab=$(get aborted)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${to:-0} + ${ab:-0}))
  skipped=$((skipped + ${t:-0} - ${x:-0}))
done
if [ "$seen" -eq 0 ] || { [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
  # A test host that crashed leaves no counted failure: count it so the run is red.
  failed=$((failed + 1))
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
