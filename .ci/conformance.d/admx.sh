#!/usr/bin/env bash
# admx: every example's rdpgen.admx and en-US/rdpgen.adml validate against Microsoft's ADMX schema (xmllint and xmlschema)
#
# Called by .ci/conformance as `bash admx.sh OUT_DIR` (OUT_DIR/<policy>/admx/ holds each
# example's template). The reference resolution ($(string.X), $(presentation.X)) is tested
# in tests/cli/gpo.rs.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(realpath -m "$1")"
V=../shared/validators
XSD=../shared/reference/xsd/PolicyDefinitionFiles.xsd

files=()
for dir in "$out"/*/admx; do
  [ -f "$dir/rdpgen.admx" ] || continue
  files+=("$dir/rdpgen.admx" "$dir/en-US/rdpgen.adml")
done
[ "${#files[@]}" -ge 8 ] || { echo "admx: expected a template per example under $out, found ${#files[@]} files"; exit 1; }
bash "$V/xsd-check.sh" "${files[0]}" "$XSD" "${files[@]:1}"
echo "admx: ${#files[@]} files valid against $(basename "$XSD")"
