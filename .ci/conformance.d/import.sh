#!/usr/bin/env bash
# import: every example imported back from its GPO backup, Registry.pol, .reg and LGPO text rebuilds to the same Registry.pol entries as Samba's parser reads them; every Microsoft Server 2025 baseline imports to a policy whose build invents no entry and keeps every Terminal Services / CredSSP entry
#
# Called by .ci/conformance as `bash import.sh OUT_DIR` (OUT_DIR/<policy>/ holds each example's
# build). Entries are compared as Samba's PReg parser (pol2json.py, Debian python3-samba) reads
# them: key and value name case-insensitively, type and data exactly.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(realpath -m "$1")"
V=../shared/validators
R=${RDPGEN:-./target/release/rdpgen}
work="$out/import-check"
rm -rf "$work"
mkdir -p "$work"

entries() {  # entries POL JSON_OUT: Samba's reading of a Registry.pol as sorted JSON lines
  /usr/bin/python3 "$V/pol2json.py" "$1" 2>"$2.log" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
for e in sorted((e["key"].lower(), e["value"].lower(), e["type"], json.dumps(e["data"], sort_keys=True)) for e in d["entries"]):
    print(json.dumps(e))' >"$2"
}

n=0
for dir in "$out"/*/; do
  name=$(basename "$dir")
  [ -f "$dir/pol/Machine/Registry.pol" ] || continue
  entries "$dir/pol/Machine/Registry.pol" "$work/$name.expected"
  for src in gpo pol/Machine/Registry.pol reg/apply.reg lgpo/machine.txt; do
    kind=$(echo "$src" | cut -d/ -f1)
    "$R" import "$dir/$src" --strict --output "$work/$name-$kind.yaml" 2>"$work/$name-$kind.err" \
      || { echo "import: $name from $src failed:"; cat "$work/$name-$kind.err"; exit 1; }
    "$R" build "$work/$name-$kind.yaml" --out "$work/$name-$kind" --target pol >/dev/null 2>&1
    entries "$work/$name-$kind"/*/pol/Machine/Registry.pol "$work/$name-$kind.got"
    diff -u "$work/$name.expected" "$work/$name-$kind.got" \
      || { echo "import: $name from $src rebuilds to other entries (Samba's reading)"; exit 1; }
    n=$((n + 1))
  done
done
[ "$n" -ge 16 ] || { echo "import: expected 4 source kinds of 4 examples, checked $n"; exit 1; }
echo "import: $n example round trips rebuild to the same entries (Samba)"

m=0
for gpo in ../shared/reference/baseline-gpos/Server2025/\{*\}; do
  pol="$gpo/DomainSysvol/GPO/Machine/registry.pol"
  [ -f "$pol" ] || continue
  id=$(basename "$gpo")
  "$R" import "$gpo" --output "$work/$id.yaml" 2>/dev/null
  "$R" build "$work/$id.yaml" --out "$work/$id" --target pol >/dev/null 2>&1
  entries "$pol" "$work/$id.source"
  entries "$work/$id"/*/pol/Machine/Registry.pol "$work/$id.rebuilt"
  invented=$(comm -13 "$work/$id.source" "$work/$id.rebuilt")
  [ -z "$invented" ] || { echo "import: $id: the build invents"; echo "$invented"; exit 1; }
  lost=$(grep -iE 'terminal services|credssp' "$work/$id.source" | comm -23 - "$work/$id.rebuilt" || true)
  [ -z "$lost" ] || { echo "import: $id: lost"; echo "$lost"; exit 1; }
  m=$((m + 1))
done
[ "$m" -ge 5 ] || { echo "import: expected the Server 2025 baselines, found $m"; exit 1; }
echo "import: $m Microsoft baselines rebuild without inventing or losing an RDS entry (Samba)"
