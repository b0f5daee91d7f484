#!/usr/bin/env bash
# CI for ward's Rust bindings, offline: build, test (fast and debug-mode
# library), clippy, rustdoc, rustfmt. Exits non-zero when any step fails.
# Usage: bindings/rust/ci.sh   (from anywhere; about 1-2 minutes on 2 cores)
set -uo pipefail
cd "$(dirname "$0")"

export CARGO_NET_OFFLINE=true
export CARGO_TERM_COLOR=never
# Reports from ward's guard modes carry file:line only when addr2line is
# installed; not needed here.
export WARD_SYMBOLIZE=0

# rustup installs into ~/.cargo/bin, which a non-login shell may not have.
if ! command -v cargo >/dev/null 2>&1 && [ -x "${HOME:-/root}/.cargo/bin/cargo" ]; then
    export PATH="${HOME:-/root}/.cargo/bin:$PATH"
fi
# Without a Rust toolchain there is nothing to build: say so loudly and do
# not fail the C project's CI for it (WARD_RUST_REQUIRED=1 makes it fail).
no_toolchain() {
    echo "ci.sh: SKIPPED: $1: install a Rust toolchain of 1.85 or later (rustup)" >&2
    [ "${WARD_RUST_REQUIRED:-0}" = 1 ] && exit 1
    exit 0
}
if ! command -v cargo >/dev/null 2>&1; then
    no_toolchain "cargo not found"
fi
cargo --version
rustc_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
if [ "${rustc_minor:-0}" -lt 85 ] 2>/dev/null; then
    no_toolchain "$(rustc --version) is too old (the crates use edition 2024)"
fi

failed=()
results=()

step() {
    local name="$1"
    shift
    echo
    echo "==> ${name}: $*"
    local start=$SECONDS
    if "$@"; then
        results+=("ok      ${name} ($((SECONDS - start)) s)")
    else
        results+=("FAILED  ${name} ($((SECONDS - start)) s)")
        failed+=("${name}")
    fi
}

step build cargo build --offline --workspace --all-targets
step test cargo test --offline --workspace --no-fail-fast
step test-debug-mode cargo test --offline --workspace --no-fail-fast --features debug-mode
# The `dynamic` feature, against the CMake build's libward-prefixed.so when
# there is one (make build; .ci/run builds it before this script runs).
libdir="${WARD_LIB_DIR:-$(cd ../.. && pwd)/build}"
if [ -e "$libdir/libward-prefixed.so" ]; then
    step test-dynamic env WARD_LIB_DIR="$libdir" LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        cargo test --offline --workspace --no-fail-fast --tests --features dynamic
else
    echo
    echo "==> test-dynamic: SKIPPED (no $libdir/libward-prefixed.so: run make build first)"
    results+=("skipped test-dynamic (no build/libward-prefixed.so)")
fi
if cargo clippy --version >/dev/null 2>&1; then
    step clippy cargo clippy --offline --workspace --all-targets -- -D warnings -D clippy::undocumented_unsafe_blocks
    step clippy-debug-mode cargo clippy --offline --workspace --all-targets --features debug-mode -- -D warnings -D clippy::undocumented_unsafe_blocks
else
    echo
    echo "==> clippy: SKIPPED (clippy is not installed; rustup component add clippy)"
    results+=("skipped clippy (not installed)")
fi
step doc env RUSTDOCFLAGS=-Dwarnings cargo doc --offline --workspace --no-deps
if cargo fmt --version >/dev/null 2>&1; then
    step fmt cargo fmt --all --check
else
    results+=("skipped fmt (rustfmt is not installed)")
fi

echo
echo "ward Rust bindings CI:"
printf '  %s\n' "${results[@]}"
if ((${#failed[@]})); then
    echo "ci.sh: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "ci.sh: all steps passed"
