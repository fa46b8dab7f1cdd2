#!/usr/bin/env bash
# Replays the committed fuzz corpus (fuzz/corpus/<target>/) of every cargo-fuzz target once,
# with the same build as the fuzzing campaigns (AddressSanitizer, debug assertions), and fails
# on any crash, panic, failed round-trip assertion, timeout or out-of-memory.
#
# Needs only the stable toolchain: cargo-fuzz passes `-Z` flags to rustc, which stable accepts
# with RUSTC_BOOTSTRAP=1 (set for the fuzz build only). Installs cargo-fuzz when it is missing
# (about 40 s); building the instrumented targets takes 5 to 10 minutes on 2 cores.
#
# Closing line: `N passed, M failed`, N and M counting corpus files.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

export RUSTC_BOOTSTRAP=1
# -O: release; -a: debug assertions on, so integer overflow is a crash as in the campaigns.
build_flags=(-O -a)

start=$SECONDS
cargo fuzz build "${build_flags[@]}"
echo "fuzz targets built in $((SECONDS - start)) s"

host=$(rustc -vV | sed -n 's/^host: //p')
passed=0
failed=0
for dir in fuzz/corpus/*/; do
  target=$(basename "$dir")
  files=("$dir"*)
  count=${#files[@]}
  log=$(mktemp)
  # -runs=0: execute every corpus file once and stop; nothing new is written to the corpus.
  if cargo fuzz run "${build_flags[@]}" "$target" "$dir" -- -runs=0 -timeout=10 -rss_limit_mb=2048 \
    >"$log" 2>&1; then
    passed=$((passed + count))
    echo "$target: $count files replayed, no crash"
  else
    # libFuzzer stops at the first crash: replay the files one by one to name every one.
    bin="fuzz/target/$host/release/$target"
    echo "$target: FAILED; first failure:"
    tail -n 40 "$log"
    for file in "${files[@]}"; do
      if "$bin" -timeout=10 -rss_limit_mb=2048 "$file" >/dev/null 2>&1; then
        passed=$((passed + 1))
      else
        failed=$((failed + 1))
        echo "$target: crash on $file"
      fi
    done
  fi
  rm -f "$log"
done

echo "fuzz replay took $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
