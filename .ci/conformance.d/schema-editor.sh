#!/usr/bin/env bash
# schema: the committed JSON Schema in Ajv (as editors run it, YAML 1.2 via the `yaml` package) accepts exactly the policy texts `validate` accepts
#
# Called by .ci/conformance as `bash schema-editor.sh OUT_DIR`. The corpus is every policy text
# of the `validate` tests with validate's verdict (tests/cli/validate.rs writes it when
# RDPGEN_SCHEMA_CORPUS is set); Ajv and yaml come from the npm registry into a cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(realpath -m "$1")"
modules="${RDPGEN_NODE_MODULES:-$HOME/.cache/rdpgen-node}"
command -v node >/dev/null || { echo "schema: node is not installed"; exit 1; }
if [ ! -f "$modules/node_modules/ajv/package.json" ] || [ ! -f "$modules/node_modules/yaml/package.json" ]; then
  mkdir -p "$modules"
  (cd "$modules" && npm install --silent --no-audit --no-fund --prefix . ajv@8 yaml@2 >/dev/null)
fi
mkdir -p "$out"
corpus="$out/schema-corpus.jsonl"
rm -f "$corpus"
RDPGEN_SCHEMA_CORPUS="$corpus" cargo test --quiet --test cli validate:: >/dev/null
NODE_PATH="$modules/node_modules" node .ci/schema-editor-check.mjs policies/rdpgen.schema.json "$corpus"
