#!/usr/bin/env bash
# gpo: every example's GPMC backup passes Samba's GPO parsers (gpo-backup-check.py) and a backup+restore on a throw-away Samba AD DC
#
# Called by .ci/conformance as `bash gpo.sh OUT_DIR` (OUT_DIR/<policy>/gpo/ holds each
# example's backup). The DC check provisions a domain on 127.0.0.1 (needs root, ports
# 88/135/389/445 free; about 16 s per backup plus 17 s to install samba-ad-dc).
# RDPGEN_SKIP_SAMBA_DC=1 skips it, loudly.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$(realpath -m "$1")"
V=../shared/validators

backups=()
for dir in "$out"/*/gpo; do
  [ -f "$dir/manifest.xml" ] && backups+=("$dir")
done
[ "${#backups[@]}" -ge 4 ] || { echo "gpo: expected a backup per example under $out, found ${#backups[@]}"; exit 1; }

for dir in "${backups[@]}"; do
  /usr/bin/python3 "$V/gpo-backup-check.py" "$dir"
done
echo "gpo: gpo-backup-check.py passed on ${#backups[@]} backups"

if [ "${RDPGEN_SKIP_SAMBA_DC:-0}" = 1 ]; then
  echo "gpo: !!! SKIPPED the Samba AD DC check (RDPGEN_SKIP_SAMBA_DC=1) !!!"
  exit 0
fi
bash "$V/install.sh" dc
start=$(date +%s)
for dir in "${backups[@]}"; do
  for backup in "$dir"/\{*\}; do
    bash "$V/samba-dc-gpo-check.sh" "$backup"
  done
done
echo "gpo: samba-dc-gpo-check.sh passed on ${#backups[@]} backups in $(( $(date +%s) - start )) s"
