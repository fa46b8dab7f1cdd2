#!/usr/bin/env bash
# dsc3: every DSC v3 document (examples and injection corpus) is valid against the v3 schema and the resource manifests, with the model's instance counts
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(realpath -m "$1")"
checks=tests/fixtures/dsc/dsc_checks.py
# PyYAML and jsonschema (pinned, with their dependencies) in a venv of their own.
venv="${XDG_CACHE_HOME:-$HOME/.cache}/rdpgen-dsc3-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check \
  'PyYAML==6.0.3' 'jsonschema==4.26.0' 'referencing==0.37.0' 'jsonschema-specifications==2025.9.1' \
  'rpds-py==0.30.0' 'attrs==26.1.0' 'typing_extensions==4.15.0'
py="$venv/bin/python"
status=0
for example in examples/*.yaml; do
  stem=$(basename "$example" .yaml)
  name=$(sed -n 's/^name: *\([a-z0-9-]*\).*/\1/p' "$example" | head -1)
  "$py" "$checks" dsc3 --schema-dir tests/fixtures/dsc --snapshot "tests/snapshots/$stem.model.txt" \
    "$out/$name/dsc3/rdp.dsc.yaml" "$out/$name/dsc3/rollback.dsc.yaml" || status=1
done
corpus="$out/dsc3-corpus"
./target/release/rdpgen build tests/fixtures/dsc/inj-*.yaml --target dsc3 --out "$corpus" >/dev/null
for policy in tests/fixtures/dsc/inj-*.yaml; do
  name=$(basename "$policy" .yaml)
  "$py" "$checks" dsc3 --schema-dir tests/fixtures/dsc --policy "$policy" \
    "$corpus/$name/dsc3/rdp.dsc.yaml" "$corpus/$name/dsc3/rollback.dsc.yaml" || status=1
done
exit "$status"
