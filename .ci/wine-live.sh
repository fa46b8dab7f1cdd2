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
# A policy that audits the host-wide posture (`posture`, audit mode) leaves those values to the
# administrator: the check's "apply" is apply.reg plus what the administrator set by other means
# (tests/fixtures/wine/host-posture.reg), so every registry check must pass after it.
merge_reg() {  # merge_reg OUT FILE... : one regedit file (UTF-16LE) holding every file's sections
  python3 - "$@" <<'PY'
import sys
def text(path):
    b = open(path, "rb").read()
    t = b[2:].decode("utf-16-le") if b[:2] == b"\xff\xfe" else b.decode("utf-8")
    head, _, rest = t.partition("\n")
    assert head.strip() == "Windows Registry Editor Version 5.00", path
    return rest
body = "".join(text(p) if p.endswith(".reg") else "" for p in sys.argv[2:])
out = "Windows Registry Editor Version 5.00\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n")
open(sys.argv[1], "wb").write(b"\xff\xfe" + out.encode("utf-16-le"))
PY
}
for example in examples/*.yaml; do
  name=$(sed -n 's/^name: *\([a-z0-9-]*\).*/\1/p' "$example" | head -1)
  echo "== $(basename "$example")"
  merge_reg "$out/$name/apply-and-host.reg" "$out/$name/reg/apply.reg" tests/fixtures/wine/host-posture.reg
  if python3 "$V/wine-live-check.py" check --exe "$exe" --policy "$example" \
      --apply "$out/$name/apply-and-host.reg" --rollback "$out/$name/reg/rollback.reg" \
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
