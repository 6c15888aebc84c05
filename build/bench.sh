#!/usr/bin/env bash
# Runs the producer benchmark (Release): this client and Confluent.Kafka against the same mock cluster, which runs in a
# separate process. Not part of build/test.sh. Arguments go to the harness: --rounds n (default 3), --scale x (message
# counts), --only "1000 B, lz4" (one scenario). Results: a table on stdout; docs/performance.md records a run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build test/Kafka.Benchmarks/Kafka.Benchmarks.csproj -c Release -nologo -v:q
exec dotnet test/Kafka.Benchmarks/bin/Release/net10.0/Kafka.Benchmarks.dll "$@"
