#!/usr/bin/env bash
# dsc: every RdpPosture.ps1 parses in tree-sitter-powershell and holds the model's Registry/Firewall/Script resources; the injection corpus stays inside string literals and comments
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(realpath -m "$1")"
checks=tests/fixtures/dsc/dsc_checks.py
status=0
for example in examples/*.yaml; do
  stem=$(basename "$example" .yaml)
  name=$(sed -n 's/^name: *\([a-z0-9-]*\).*/\1/p' "$example" | head -1)
  python3 "$checks" counts "$out/$name/dsc/RdpPosture.ps1" "tests/snapshots/$stem.model.txt" || status=1
done
python3 "$checks" injection --rdpgen ./target/release/rdpgen tests/fixtures/dsc/inj-*.yaml || status=1
exit "$status"
