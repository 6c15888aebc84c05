#!/usr/bin/env bash
# Runs the benchmarks (Release): this client and Confluent.Kafka side by side against the same mock cluster, which runs
# in a separate process. Not part of build/test.sh. Results are tables on stdout; docs/performance.md records a run.
#
#   bash build/bench.sh                 every benchmark
#   bash build/bench.sh produce [args]  the producer benchmark: --rounds n (default 3), --scale x, --only "1000 B, lz4",
#                                       --traced (also this client with every span and instrument listened to)
#   bash build/bench.sh lowrate [args]  one message per ms, linger 0, each ProduceAsync awaited: --messages n (default
#                                       5000), --rounds n (default 5), --allocations (the types allocated, sampled),
#                                       --traced (also this client with every span and instrument listened to)
#   bash build/bench.sh transactional [args]  transactions of the same size with both clients' transactional producers:
#                                       --transactions n (default 200), --size n (messages each, default 1000), --rounds n (3)
#   bash build/bench.sh metadata [args]  a full metadata refresh at 20,000 and 100,000 partitions, building every Topic,
#                                       against Confluent.Kafka's GetMetadata: --partitions 20000,100000 --per-topic 100
#                                       --iterations n (default 15) --rounds n (default 3)
#   bash build/bench.sh consume [args]  the consumer benchmark: --messages-mb n (values per case, default 64), --passes n
#                                       (default 7), --only "1000 B, lz4", --verbose (every pass), --traced (also this
#                                       client's readers with every span and instrument listened to), --allocations
#                                       (the types each pass allocated, sampled)
#   bash build/bench.sh hosted [args]   hosted consumers against a Confluent.Kafka BackgroundService loop: --passes n
#                                       (default 5), --only "100 B" (a case name's start), --verbose (every pass),
#                                       --clients batch (some of message,batch,confluent: one alone, e.g. under a profiler)
#   bash build/bench.sh eos [args]      the hosted exactly-once pipeline (AddTransactionalConsumer) against a Confluent.Kafka
#                                       consume-transform-produce loop with transactions, both checked for what they
#                                       delivered: --passes n (default 5)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

which="${1:-all}"
[ $# -gt 0 ] && shift

produce() {
  dotnet build test/Kafka.Benchmarks/Kafka.Benchmarks.csproj -c Release -nologo -v:q
  dotnet test/Kafka.Benchmarks/bin/Release/net10.0/Kafka.Benchmarks.dll "$@"
}

lowrate() {
  dotnet build test/Kafka.Benchmarks/Kafka.Benchmarks.csproj -c Release -nologo -v:q
  dotnet test/Kafka.Benchmarks/bin/Release/net10.0/Kafka.Benchmarks.dll --lowrate "$@"
}

transactional() {
  dotnet build test/Kafka.Benchmarks/Kafka.Benchmarks.csproj -c Release -nologo -v:q
  dotnet test/Kafka.Benchmarks/bin/Release/net10.0/Kafka.Benchmarks.dll --transactional "$@"
}

metadata() {
  dotnet build test/Kafka.Benchmarks/Kafka.Benchmarks.csproj -c Release -nologo -v:q
  dotnet test/Kafka.Benchmarks/bin/Release/net10.0/Kafka.Benchmarks.dll --metadata "$@"
}

consume() {
  dotnet build test/Kafka.ConsumeBenchmarks/Kafka.ConsumeBenchmarks.csproj -c Release -nologo -v:q
  dotnet test/Kafka.ConsumeBenchmarks/bin/Release/net10.0/Kafka.ConsumeBenchmarks.dll "$@"
}

hosted() {
  dotnet build test/Kafka.HostedBenchmarks/Kafka.HostedBenchmarks.csproj -c Release -nologo -v:q
  dotnet test/Kafka.HostedBenchmarks/bin/Release/net10.0/Kafka.HostedBenchmarks.dll "$@"
}

eos() {
  dotnet build test/Kafka.HostedBenchmarks/Kafka.HostedBenchmarks.csproj -c Release -nologo -v:q
  dotnet test/Kafka.HostedBenchmarks/bin/Release/net10.0/Kafka.HostedBenchmarks.dll --eos "$@"
}

case "$which" in
  produce) produce "$@" ;;
  lowrate) lowrate "$@" ;;
  transactional) transactional "$@" ;;
  metadata) metadata "$@" ;;
  consume) consume "$@" ;;
  hosted) hosted "$@" ;;
  eos) eos "$@" ;;
  all) produce; lowrate; transactional; metadata; consume ;;
  *) echo "usage: bash build/bench.sh [produce|lowrate|transactional|metadata|consume|hosted|eos|all] [args]" >&2; exit 2 ;;
esac
