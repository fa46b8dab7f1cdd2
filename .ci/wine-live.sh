#!/usr/bin/env bash
# The Windows build of rdpgen on a real Win32 registry (Wine's), for every example:
# `diff --local` must call a clean registry drifted, pass every registry check after the
# example's apply.reg, and be drifted again after its rollback.reg
# (../shared/validators/wine-live-check.py). Needs `install.sh wine mingw` and the
# x86_64-pc-windows-gnu target; prints one closing 'N passed, M failed'.
set -euo pipefail
cd "$(dirname "$0")/.."
V=../shared/validators
command -v x86_64-w64-mingw32-gcc >/dev/null && command -v wine >/dev/null \
  || bash "$V/install.sh" wine mingw
# A debug build: the live check judges behaviour, and it compiles in a fraction of the time.
cargo build --quiet --target x86_64-pc-windows-gnu
exe=target/x86_64-pc-windows-gnu/debug/rdpgen.exe
cargo build --release --quiet
out=target/wine-live
rm -rf "$out"
./target/release/rdpgen build examples/*.yaml --target reg --out "$out" >/dev/null
pass=0
fail=0
for example in examples/*.yaml; do
  name=$(sed -n 's/^name: *\([a-z0-9-]*\).*/\1/p' "$example" | head -1)
  echo "== $(basename "$example")"
  if python3 "$V/wine-live-check.py" check --exe "$exe" --policy "$example" \
      --apply "$out/$name/reg/apply.reg" --rollback "$out/$name/reg/rollback.reg" \
      | tee "$out/$name.log"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
  fi
done
# The Windows code path on values Windows reads its own way: SecurityLayer as REG_SZ "2" is
# ignored by Windows (a failure that says so); SCHANNEL Enabled = 0xffffffff is on (a pass).
echo "== value types on the live registry"
if python3 "$V/wine-live-check.py" run --exe "$exe" --import "$out/tier1-servers/reg/apply.reg" \
    --import tests/fixtures/wine/odd-types.reg -- diff examples/tier1.yaml --local --format json \
    > "$out/odd-types.json"; then rc=0; else rc=$?; fi
if python3 - "$out/odd-types.json" "$rc" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
checks = {c["id"]: c for c in doc["hosts"][0]["checks"]}
layer, tls = checks["security.layer"], checks["tls.minVersion:TLS 1.2:Enabled"]
assert sys.argv[2] == "1", "exit %s, want 1 (drifted)" % sys.argv[2]
assert layer["outcome"] == "fail" and "ignores a REG_SZ" in layer["message"], layer
assert tls["outcome"] == "pass", tls
assert doc["hosts"][0]["evidence"] == "the whole registry", doc["hosts"][0]["evidence"]
print("ok    REG_SZ SecurityLayer fails, SCHANNEL 0xffffffff passes, evidence: the whole registry")
PY
then pass=$((pass + 1)); else fail=$((fail + 1)); fi
echo "wine live check: $pass passed, $fail failed"
[ "$fail" = 0 ]
