#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine. Safe to run again: it only installs what is missing.
set -euo pipefail

need_apt=()
# The ZooKeeper tests start Debian's ZooKeeper server (jars under /usr/share/java).
if [ ! -f /usr/share/java/zookeeper.jar ]; then need_apt+=(zookeeper); fi
if ! command -v java >/dev/null 2>&1; then need_apt+=(default-jre-headless); fi
# The native AOT test (test/Kafka.Packaging.Tests) compiles with the ILCompiler package from NuGet and links with
# clang against zlib.
if ! command -v clang >/dev/null 2>&1; then need_apt+=(clang); fi
if [ ! -f /usr/include/zlib.h ]; then need_apt+=(zlib1g-dev); fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${need_apt[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "setup: installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET SDK 10 is required (dotnet was not found on PATH)" >&2
  exit 1
fi
