#!/usr/bin/env bash
# pol-vs-admx: every example's Registry.pol files, read by Samba's parser, hold only values Microsoft's ADMX (or rdpgen's own template) lets a policy write, and read back as whole policies
#
# Called by .ci/conformance as `bash pol-vs-admx.sh OUT_DIR`. The judge (.ci/pol-vs-admx.py)
# reads the ADMX files with Python's ElementTree, independently of rdpgen. It must also
# accept Microsoft's own baseline GPOs (for the policies it knows) and refuse a doctored file,
# so the check is shown able to pass and to fail.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(realpath -m "$1")"
V=../shared/validators
REF=../shared/reference/admx
TS='SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services'
# RemoteAssistance.admx is not among the reference files (the catalog says so): its two values.
# The listener certificate thumbprint (REG_BINARY, certificate.thumbprint) has no ADMX form:
# the standalone Registry.pol carries it as a plain value (the GPO backup as a Preferences item).
allow=(--allow "$TS\\fAllowToGetHelp" --allow "$TS\\fAllowUnsolicited"
  --allow 'SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp\SSLCertificateSHA1Hash')
work="$out/pol-vs-admx"
rm -rf "$work"; mkdir -p "$work"

n=0
for dir in "$out"/*/; do
  name=$(basename "$dir")
  [ -f "$dir/pol/Machine/Registry.pol" ] || continue
  /usr/bin/python3 "$V/pol2json.py" "$dir/pol/Machine/Registry.pol" > "$work/$name.pol.json"
  gpo_pol=$(find "$dir/gpo" -ipath '*Machine/registry.pol' | head -1)
  [ -n "$gpo_pol" ] || { echo "pol-vs-admx: $name has no GPO registry.pol"; exit 1; }
  /usr/bin/python3 "$V/pol2json.py" "$gpo_pol" > "$work/$name.gpo.json"
  python3 .ci/pol-vs-admx.py --admx "$REF" --admx "$dir/admx" "${allow[@]}" \
    "$work/$name.pol.json" "$work/$name.gpo.json"
  n=$((n + 1))
done
[ "$n" -ge 5 ] || { echo "pol-vs-admx: expected every example under $out, found $n"; exit 1; }

# Every typed field of the coverage issue and every ADMX element kind through `admx:`.
bin=target/release/rdpgen
[ -x "$bin" ] || cargo build --release --quiet
"$bin" build tests/fixtures/coverage/all-new-fields.yaml tests/fixtures/coverage/admx-every-kind.yaml \
  --out "$work/fixtures" > /dev/null
for dir in "$work"/fixtures/*/; do
  name=$(basename "$dir")
  /usr/bin/python3 "$V/pol2json.py" "$dir/pol/Machine/Registry.pol" > "$work/$name.pol.json"
  python3 .ci/pol-vs-admx.py --admx "$REF" --admx "$dir/admx" "${allow[@]}" "$work/$name.pol.json"
  n=$((n + 1))
done
grep -q '"MaxXResolution"' "$work/admx-every-kind.pol.json" \
  && grep -q 'REG_MULTI_SZ' "$work/admx-every-kind.pol.json" \
  || { echo "pol-vs-admx: the admx fixture did not reach its Registry.pol"; exit 1; }

# The judge accepts Microsoft's own baselines...
baselines=()
while IFS= read -r f; do
  j="$work/baseline-$(echo "$f" | md5sum | cut -c1-8).json"
  /usr/bin/python3 "$V/pol2json.py" "$f" > "$j"
  baselines+=("$j")
done < <(find ../shared/reference/baseline-gpos -ipath '*Machine/registry.pol' | sort)
python3 .ci/pol-vs-admx.py --foreign-ok --admx "$REF" "${baselines[@]}"

# ...and refuses an out-of-range element, a decimal written as REG_SZ and a list value not
# named as its valuePrefix says.
python3 - "$work/rdsh-farm.pol.json" "$work/doctored.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert any(e["value"] == "MaxXResolution" for e in d["entries"]), "rdsh-farm sets TS_MAXDISPLAYRES"
for e in d["entries"]:
    if e["value"] == "MaxXResolution":
        e["data"] = 100000
for e in d["entries"]:
    if e["key"].lower().endswith("credentialsdelegation\\allowdefaultcredentials") and e["value"] == "1":
        e["value"] = "first"  # the list names its values 1, 2, ... (valuePrefix="")
ts = next(e["key"] for e in d["entries"] if e["value"] == "MaxXResolution")
d["entries"] = [e for e in d["entries"] if e["value"] not in ("ColorDepth", "MaxYResolution")] + [
    {"key": ts, "value": "MaxYResolution", "type": 1, "type_name": "REG_SZ", "size": 10, "data": "1600"}]
json.dump(d, open(sys.argv[2], "w"))
PY
if python3 .ci/pol-vs-admx.py --admx "$REF" --admx "$out/rdsh-farm/admx" "${allow[@]}" "$work/doctored.json" > "$work/doctored.log"; then
  echo "pol-vs-admx: the judge accepted a doctored Registry.pol"; cat "$work/doctored.log"; exit 1
fi
grep -q "MaxXResolution = REG_DWORD 100000" "$work/doctored.log" || { cat "$work/doctored.log"; exit 1; }
grep -q 'AllowDefaultCredentials\\first = REG_SZ' "$work/doctored.log" || { cat "$work/doctored.log"; exit 1; }
grep -q 'MaxYResolution = REG_SZ .1600.: not a value TerminalServer/TS_MAXDISPLAYRES can write' "$work/doctored.log" \
  || { cat "$work/doctored.log"; exit 1; }
echo "pol-vs-admx: $n policies (examples and coverage fixtures) judged against Microsoft's ADMX; ${#baselines[@]} Microsoft baselines accepted; a doctored file refused"
