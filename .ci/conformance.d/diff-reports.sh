#!/usr/bin/env bash
# diff reports: the HTML report renders in headless Chromium with its summary; JUnit is well-formed XML; SARIF and JSON parse
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$(realpath -m "$1")/diff-reports"
rm -rf "$work"; mkdir -p "$work"
if ! command -v chromium >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
rdpgen=./target/release/rdpgen
for f in html junit sarif json; do
  "$rdpgen" diff examples/tier1.yaml examples/hosts --format "$f" --output "$work/report.$f" 2>/dev/null || [ $? = 1 ]
done
xmllint --noout "$work/report.junit"
python3 -c 'import json,sys; [json.load(open(p)) for p in sys.argv[1:]]' "$work/report.sarif" "$work/report.json"
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$work/profile" --window-size=1280,1600)
timeout 120 chromium "${flags[@]}" --screenshot="$work/report.png" "file://$work/report.html" >/dev/null 2>&1
timeout 120 chromium "${flags[@]}" --dump-dom "file://$work/report.html" > "$work/dom.html" 2>/dev/null
# The summary rendered: the counts, the grid and the findings table are in the DOM Chromium built.
grep -q 'id="count-hosts"><b>7</b>hosts' "$work/dom.html"
grep -q 'id="count-drifted"><b>4</b>drifted' "$work/dom.html"
grep -q '<h2>Hosts × areas</h2>' "$work/dom.html"
grep -q '<h2>Findings</h2>' "$work/dom.html"
size=$(stat -c %s "$work/report.png")
[ "$size" -gt 50000 ] || { echo "screenshot is only $size bytes: blank page?"; exit 1; }
echo "HTML report rendered by $(chromium --version 2>/dev/null | head -1): screenshot $size bytes, summary present"
