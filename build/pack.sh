#!/usr/bin/env bash
# Packs every package under src/ (libraries, and .NET tools) into artifacts/packages: a .nupkg and a .snupkg
# (symbols, SourceLink) each, one version for all (VersionPrefix in Directory.Build.props). Any warning fails it.
#
#   bash build/pack.sh                          packages of version VersionPrefix (e.g. 0.1.0)
#   VERSION_SUFFIX=preview.1 bash build/pack.sh  a pre-release: 0.1.0-preview.1 (assemblies carry it too)
#   PACKAGE_VERSION=0.1.0-local.7 bash build/pack.sh
#                                               only the packages' version (no rebuild): for local feeds and tests
#   PACKAGE_OUTPUT=/tmp/feed bash build/pack.sh  another output folder (its packages are replaced)
#   bash build/pack.sh -p:X=Y                    extra arguments go to dotnet pack
#
# Then: dotnet add package Kafka.Hosting --source artifacts/packages (see README.md, "Install").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

out="${PACKAGE_OUTPUT:-$root/artifacts/packages}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out"/*.nupkg "$out"/*.snupkg
args=(-c Release -nologo -v:q -warnaserror "-p:PackageOutputPath=$out/")
if [ -n "${VERSION_SUFFIX:-}" ]; then args+=("-p:VersionSuffix=$VERSION_SUFFIX"); fi
if [ -n "${PACKAGE_VERSION:-}" ]; then args+=("-p:PackageVersion=$PACKAGE_VERSION"); fi

dotnet pack Kafka.Hosting.sln "${args[@]}" "$@"

shopt -s nullglob
packages=("$out"/*.nupkg)
symbols=("$out"/*.snupkg)
if [ ${#packages[@]} -eq 0 ]; then
  echo "pack: no package was made" >&2
  exit 1
fi
if [ ${#symbols[@]} -ne ${#packages[@]} ]; then
  echo "pack: ${#packages[@]} packages but ${#symbols[@]} symbol packages" >&2
  exit 1
fi
echo "pack: ${#packages[@]} packages in ${out#"$root"/}:"
for p in "${packages[@]}"; do echo "  $(basename "$p")"; done
