#!/usr/bin/env bash
# Builds the Lambda binary small: size-optimised, fat LTO, one codegen unit,
# stripped (the workspace's release profile is tuned for the builder's build
# time instead). Uses cargo-lambda when installed (`pip install cargo-lambda`),
# which cross-links for Lambda's Amazon Linux (pass e.g. --arm64); plain cargo
# otherwise, for the host. Prints where the binary is and its size.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_PROFILE_RELEASE_OPT_LEVEL=s
export CARGO_PROFILE_RELEASE_LTO=fat
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_STRIP=symbols
# A separate target dir, so these settings do not rebuild the workspace's release artifacts.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/lambda-size}"
if command -v cargo-lambda >/dev/null; then
  cargo lambda build --release -p switchboard-router --features lambda --bin switchboard-router "$@"
  bin="$CARGO_TARGET_DIR/lambda/switchboard-router/bootstrap"
else
  cargo build --release -p switchboard-router --features lambda --bin switchboard-router "$@"
  bin="$CARGO_TARGET_DIR/release/switchboard-router"
fi
echo "$bin: $(stat -c %s "$bin") bytes"
