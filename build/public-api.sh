#!/usr/bin/env bash
# Keeps the library packages' PublicAPI.Shipped.txt / PublicAPI.Unshipped.txt in step with the code.
#
#   bash build/public-api.sh                 lists what the public API analyzer finds missing or stale (RS0016, RS0017)
#   bash build/public-api.sh --add           also writes the fixes: new symbols are appended to PublicAPI.Unshipped.txt;
#                                            a symbol that is gone is deleted from PublicAPI.Unshipped.txt, or marked
#                                            *REMOVED* there when it had shipped
#   bash build/public-api.sh --ship          at a release: moves every PublicAPI.Unshipped.txt entry into PublicAPI.Shipped.txt
#   bash build/public-api.sh --init PROJECT  creates the two files for a new library under src/PROJECT
#
# Projects default to every library package under src/ (those with a PublicAPI.Shipped.txt); name some to narrow it,
# e.g. `bash build/public-api.sh --add Kafka.Client`. Review the diff: every line is a public API decision.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mode=list
case "${1:-}" in
  --add) mode=add; shift ;;
  --ship) mode=ship; shift ;;
  --init) mode=init; shift ;;
  --list) shift ;;
  -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "public-api: unknown option $1 (try --help)" >&2; exit 2 ;;
esac

header='#nullable enable'

if [ "$mode" = init ]; then
  [ $# -gt 0 ] || { echo "public-api: --init needs a project name under src/" >&2; exit 2; }
  for name in "$@"; do
    dir="src/$name"
    [ -d "$dir" ] || { echo "public-api: no folder $dir" >&2; exit 1; }
    for f in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
      [ -f "$dir/$f" ] || printf '%s\n' "$header" > "$dir/$f"
    done
    echo "public-api: $dir has PublicAPI.Shipped.txt and PublicAPI.Unshipped.txt; now run: bash build/public-api.sh --add $name"
  done
  exit 0
fi

projects=()
if [ $# -gt 0 ]; then
  for name in "$@"; do
    name="${name%/}"; name="${name#src/}"
    [ -f "src/$name/PublicAPI.Shipped.txt" ] || { echo "public-api: src/$name has no PublicAPI.Shipped.txt (use --init $name)" >&2; exit 1; }
    projects+=("$name")
  done
else
  for f in src/*/PublicAPI.Shipped.txt; do
    [ -f "$f" ] && projects+=("$(basename "$(dirname "$f")")")
  done
fi
[ ${#projects[@]} -gt 0 ] || { echo "public-api: no library with PublicAPI.Shipped.txt under src/" >&2; exit 1; }

# Appends lines to a file that may lack a final newline, then sorts everything after the header (ordinal order).
append_sorted() {
  local file="$1"; shift
  local body
  body="$( { grep -v -x -F "$header" "$file" || true; printf '%s\n' "$@"; } | sed '/^$/d' | LC_ALL=C sort -u)"
  { printf '%s\n' "$header"; if [ -n "$body" ]; then printf '%s\n' "$body"; fi; } > "$file"
}

if [ "$mode" = ship ]; then
  for name in "${projects[@]}"; do
    dir="src/$name"
    mapfile -t unshipped < <(grep -v -x -F "$header" "$dir/PublicAPI.Unshipped.txt" | sed '/^$/d' || true)
    [ ${#unshipped[@]} -gt 0 ] || continue
    added=(); removed=()
    for line in "${unshipped[@]}"; do
      if [[ "$line" == '*REMOVED*'* ]]; then removed+=("${line#\*REMOVED\*}"); else added+=("$line"); fi
    done
    shipped="$(grep -v -x -F "$header" "$dir/PublicAPI.Shipped.txt" || true)"
    for line in "${removed[@]}"; do
      shipped="$(printf '%s\n' "$shipped" | grep -v -x -F -- "$line" || true)"
    done
    printf '%s\n' "$header" > "$dir/PublicAPI.Shipped.txt"
    # shellcheck disable=SC2206
    mapfile -t kept < <(printf '%s\n' "$shipped" | sed '/^$/d')
    append_sorted "$dir/PublicAPI.Shipped.txt" "${kept[@]}" "${added[@]}"
    printf '%s\n' "$header" > "$dir/PublicAPI.Unshipped.txt"
    echo "public-api: $name: ${#added[@]} entries shipped, ${#removed[@]} removed"
  done
  exit 0
fi

# Build the libraries afresh with the analyzer's findings as warnings, and collect them.
# One build of just these projects (a solution filter), so shared dependencies compile once.
mkdir -p artifacts
log="$(mktemp)"
filter="artifacts/public-api.slnf"
trap 'rm -f "$log" "$filter"' EXIT
{
  printf '{ "solution": { "path": "../Kafka.Hosting.sln", "projects": ['
  sep=''
  for name in "${projects[@]}"; do printf '%s"src/%s/%s.csproj"' "$sep" "$name" "$name"; sep=', '; done
  printf '] } }\n'
} > "$filter"
dotnet build "$filter" -c Release --no-incremental -nologo -v:q -clp:NoSummary \
  -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= > "$log" 2>&1 || true

status=0
for name in "${projects[@]}"; do
  dir="src/$name"
  proj="$root/$dir/$name.csproj"
  # "...: warning RS0016: Symbol 'X' is not part of the declared public API (...) [project]"
  mapfile -t missing < <(grep -F "[$proj" "$log" | grep -F 'RS0016' \
    | sed -n "s/.*Symbol '\(.*\)' is not part of the declared public API.*/\1/p" | LC_ALL=C sort -u)
  mapfile -t stale < <(grep -F "[$proj" "$log" | grep -F 'RS0017' \
    | sed -n "s/.*Symbol '\(.*\)' is part of the declared API, but is either not public or could not be found.*/\1/p" | LC_ALL=C sort -u)
  mapfile -t other < <(grep -F "[$proj" "$log" | grep -E ' (warning|error) RS00[0-9][0-9]' \
    | grep -v -E 'RS001[67]' | sed 's/ \[[^]]*\]$//' | LC_ALL=C sort -u)

  if [ "$mode" = add ]; then
    # Sorted and without duplicates (a union merge can bring the same line from two branches).
    append_sorted "$dir/PublicAPI.Unshipped.txt"
  fi
  if [ ${#missing[@]} -eq 0 ] && [ ${#stale[@]} -eq 0 ] && [ ${#other[@]} -eq 0 ]; then
    echo "public-api: $name: up to date"
    continue
  fi
  status=1
  for line in "${missing[@]}"; do echo "$name: + $line"; done
  for line in "${stale[@]}"; do echo "$name: - $line"; done
  for line in "${other[@]}"; do echo "$name: $line"; done

  if [ "$mode" = add ]; then
    [ ${#missing[@]} -eq 0 ] || append_sorted "$dir/PublicAPI.Unshipped.txt" "${missing[@]}"
    for line in "${stale[@]}"; do
      if grep -q -x -F -- "$line" "$dir/PublicAPI.Unshipped.txt"; then
        tmp="$(grep -v -x -F -- "$line" "$dir/PublicAPI.Unshipped.txt")"
        printf '%s\n' "$tmp" > "$dir/PublicAPI.Unshipped.txt"
      else
        append_sorted "$dir/PublicAPI.Unshipped.txt" "*REMOVED*$line"
      fi
    done
    echo "public-api: $name: PublicAPI.Unshipped.txt updated (${#missing[@]} added, ${#stale[@]} removed)"
  fi
done

if [ "$mode" = add ]; then
  [ $status -eq 0 ] || echo "public-api: review the diff of src/*/PublicAPI.*.txt; other RS00xx findings above (if any) need a code change"
  exit 0
fi
[ $status -eq 0 ] || echo "public-api: run 'bash build/public-api.sh --add' to append the missing entries"
exit $status
