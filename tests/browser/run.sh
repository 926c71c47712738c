#!/usr/bin/env bash
# Browser test of the web console: installs playwright-core (pinned in package-lock.json) into
# ${BROWSER_NODE_DIR:-target/browser-node}, then drives Debian's Chromium headless against the
# given release binary (tests/browser/console_test.js). Screenshots go to
# ${SCREENSHOT_DIR:-docs/screenshots}. Prints `browser: N passed, M failed`; exits non-zero on
# any failure.
# Usage: bash tests/browser/run.sh target/release/cloudflow-emulator
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN=$(realpath "${1:?usage: run.sh BINARY}")
NODE_DIR=${BROWSER_NODE_DIR:-$PWD/target/browser-node}
SHOTS=${SCREENSHOT_DIR:-$PWD/docs/screenshots}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
  echo "browser: $CHROMIUM not found (apt-get install -y chromium)" >&2
  echo "browser: 0 passed, 1 failed"
  exit 1
fi

stamp=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)
mkdir -p "$NODE_DIR"
if [ "$(cat "$NODE_DIR/.stamp" 2>/dev/null || true)" != "$stamp" ] \
  || [ ! -f "$NODE_DIR/node_modules/playwright-core/package.json" ]; then
  echo "browser: installing playwright-core into $NODE_DIR" >&2
  cp "$HERE/package.json" "$HERE/package-lock.json" "$NODE_DIR/"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$stamp" >"$NODE_DIR/.stamp"
fi

NODE_PATH="$NODE_DIR/node_modules" timeout "${BROWSER_TEST_TIMEOUT:-180}" \
  node "$HERE/console_test.js" "$BIN" "$SHOTS"
