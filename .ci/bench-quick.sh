#!/usr/bin/env bash
# Quick run of the benchmark harness (issue #8): every workload once at reduced size (100
# policies, 500 hosts, 10,000 Registry.pol entries) to prove the harness and the commands it
# times still work. It never fails on time, only when a command fails or crashes; the last line
# is the harness's `N passed, M failed`. The Samba floor of (d) needs
# `../shared/validators/install.sh samba`; without it (d) runs without its floor and says so.
#
# The harness is its own crate (benches/Cargo.toml). It shares target/ with the main crate so
# that the dependencies compiled for `cargo build --release` are reused, not built twice.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
start=$(date +%s)
cargo build --release --manifest-path benches/Cargo.toml
echo "bench-quick: harness built in $(( $(date +%s) - start )) s"
exec cargo run --quiet --release --manifest-path benches/Cargo.toml -- --quick "$@"
