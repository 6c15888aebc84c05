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

# The SASL tests: the server side of each mechanism is Cyrus SASL (PLAIN, SCRAM, GSSAPI, with its sasldb) or GNU SASL
# (PLAIN, SCRAM-SHA-256); GSSAPI runs against MIT Kerberos's KDC (krb5kdc, kdb5_util, kadmin.local, kinit) started by the
# tests, the client side through MIT's GSS-API library, and kcat (librdkafka with Cyrus SASL) is the GSSAPI peer.
sasl_packages=(libsasl2-2 libsasl2-modules libsasl2-modules-db libsasl2-modules-gssapi-mit libgsasl18
  krb5-kdc krb5-admin-server krb5-user libgssapi-krb5-2 kcat)
for package in "${sasl_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then need_apt+=("$package"); fi
done

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${need_apt[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "setup: installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The tests start their own KDC: keep the packages from starting system services (krb5-kdc, kadmind) meanwhile.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    own_policy=1
  fi
  # Quiet unless something fails: then apt's own output says what.
  log="$(mktemp)"
  status=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}"; } >"$log" 2>&1 || status=$?
  if [ "$own_policy" -eq 1 ]; then rm -f "$policy"; fi
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    rm -f "$log"
    echo "setup: installing ${need_apt[*]} failed ($status)" >&2
    exit "$status"
  fi
  rm -f "$log"
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET SDK 10 is required (dotnet was not found on PATH)" >&2
  exit 1
fi
