#!/usr/bin/env bash
# collector: the generated PowerShell collector parses without errors and is proven read-only from its syntax tree
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$(realpath -m "$1")/collector"
mkdir -p "$work"
./target/release/rdpgen collector > "$work/rdpgen-collector.ps1"
python3 ../shared/validators/ps-parse-check.py "$work/rdpgen-collector.ps1"
python3 .ci/check-readonly.py "$work/rdpgen-collector.ps1"
