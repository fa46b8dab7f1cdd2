#!/usr/bin/env bash
# conformance-formats.sh — check rdpgen's .reg and Registry.pol files with independent
# third-party implementations (the validators in ../shared/validators: Samba, Wine reg.exe,
# hivex), and check rdpgen's Registry.pol reader against Samba's.
#
# Usage:
#   .ci/conformance-formats.sh DIR           every *.reg under DIR through reg-import-check.sh
#                                            (Samba + Wine + hivex import and agree); every *.pol
#                                            (case-insensitive) through pol2json.py (Samba parse +
#                                            canonical re-pack), and rdpgen's reading of it
#                                            (examples/poldump.rs) compared with Samba's, entry by entry
#   .ci/conformance-formats.sh --baselines [DIR]
#                                            the Registry.pol comparison only, for every registry.pol
#                                            under DIR (default ../shared/reference/baseline-gpos)
#
# Samples: tests/fixtures/formats/ holds golden files; more come from
#   RDPGEN_FORMATS_SAMPLES=/tmp/samples cargo test --test formats_codecs export_random_samples
#
# Environment: RDPGEN_VALIDATORS (default ../shared/validators next to the repository).
# Set up the tools once with: sudo bash ../shared/validators/install.sh wine samba hivex
# Exit: 0 all passed, 1 a check failed or nothing was checked, 2 usage/setup problem.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VALIDATORS="${RDPGEN_VALIDATORS:-$ROOT/../shared/validators}"
PYTHON=/usr/bin/python3   # Samba's bindings live in Debian's python3, not in a venv

usage() {
  sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

mode=dir
case "${1:-}" in
  -h|--help|"") usage ;;
  --baselines) mode=baselines; DIR="${2:-$ROOT/../shared/reference/baseline-gpos}" ;;
  -*) usage ;;
  *) DIR="$1" ;;
esac
[ -d "$DIR" ] || { echo "conformance-formats: no such directory: $DIR" >&2; exit 2; }
[ -f "$VALIDATORS/pol2json.py" ] || { echo "conformance-formats: validators not found in $VALIDATORS" >&2; exit 2; }
"$PYTHON" -c 'import samba.dcerpc.preg' 2>/dev/null \
  || { echo "conformance-formats: Samba Python bindings missing (install.sh samba)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --quiet --manifest-path "$ROOT/Cargo.toml" --example poldump
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" \
  | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
POLDUMP="$target_dir/debug/examples/poldump"
[ -x "$POLDUMP" ] || { echo "conformance-formats: $POLDUMP was not built" >&2; exit 2; }

reg_pass=0 reg_fail=0 pol_pass=0 pol_fail=0 same_files=0 same_entries=0 diff_files=0

# compare_pol FILE: Samba's pol2json.py (strict) and rdpgen's poldump must both read FILE and
# agree on every entry.
compare_pol() {
  local file="$1"
  if ! "$PYTHON" "$VALIDATORS/pol2json.py" "$file" >"$work/samba.json" 2>"$work/samba.err"; then
    echo "FAIL samba   $file"; sed 's/^/       /' "$work/samba.err"
    pol_fail=$((pol_fail + 1)); return
  fi
  pol_pass=$((pol_pass + 1))
  if ! "$POLDUMP" "$file" >"$work/rdpgen.json" 2>"$work/rdpgen.err"; then
    echo "FAIL rdpgen  $file"; sed 's/^/       /' "$work/rdpgen.err"
    diff_files=$((diff_files + 1)); return
  fi
  local verdict
  if verdict="$("$PYTHON" - "$work/samba.json" "$work/rdpgen.json" <<'PY'
import json, sys
samba, rdpgen = (json.load(open(p, encoding='utf-8')) for p in sys.argv[1:3])
problems = []
for field in ('signature', 'version'):
    if samba[field] != rdpgen[field]:
        problems.append('%s: samba %r, rdpgen %r' % (field, samba[field], rdpgen[field]))
a, b = samba['entries'], rdpgen['entries']
if len(a) != len(b):
    problems.append('samba reads %d entries, rdpgen %d' % (len(a), len(b)))
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        problems.append('entry %d: samba %s\n         rdpgen %s' % (i, json.dumps(x, ensure_ascii=False), json.dumps(y, ensure_ascii=False)))
if problems:
    print('\n'.join(problems[:10]))
    sys.exit(1)
print(len(a))
PY
)"; then
    same_files=$((same_files + 1)); same_entries=$((same_entries + verdict))
    echo "PASS pol     $file ($verdict entries, rdpgen = Samba)"
  else
    echo "FAIL compare $file"; printf '%s\n' "$verdict" | sed 's/^/       /'
    diff_files=$((diff_files + 1))
  fi
}

if [ "$mode" = dir ]; then
  while IFS= read -r -d '' file; do
    if bash "$VALIDATORS/reg-import-check.sh" "$file" >"$work/reg.out" 2>&1; then
      reg_pass=$((reg_pass + 1)); echo "PASS reg     $file"
    else
      reg_fail=$((reg_fail + 1)); echo "FAIL reg     $file"; sed 's/^/       /' "$work/reg.out"
    fi
  done < <(find "$DIR" -type f -iname '*.reg' -print0 | sort -z)
  while IFS= read -r -d '' file; do
    compare_pol "$file"
  done < <(find "$DIR" -type f -iname '*.pol' -print0 | sort -z)
else
  while IFS= read -r -d '' file; do
    compare_pol "$file"
  done < <(find "$DIR" -type f -iname 'registry.pol' -print0 | sort -z)
fi

checked=$((reg_pass + reg_fail + pol_pass + pol_fail))
echo "conformance-formats: .reg $reg_pass passed, $reg_fail failed;" \
  ".pol $pol_pass passed Samba, $pol_fail failed;" \
  "rdpgen reader = Samba on $same_files file(s) / $same_entries entries, $diff_files differ"
if [ "$checked" -eq 0 ]; then
  echo "conformance-formats: nothing to check under $DIR" >&2
  exit 1
fi
[ $((reg_fail + pol_fail + diff_files)) -eq 0 ]
