#!/usr/bin/env bash
# Official-SDK conformance suite for cloudflow-emulator.
#
# usage: tests/sdk/run.sh PATH_TO_SERVER_BINARY
#
# Installs the pinned SDKs (Python venv at ${SDK_VENV:-$PWD/target/sdk-venv}, Node packages at
# ${SDK_NODE_DIR:-$PWD/target/sdk-node}), starts the server on a free loopback port, runs
#   tea_test.py  (PyPI alibabacloud-fnf20190315, the Tea SDK)
#   core_test.py (PyPI aliyun-python-sdk-fnf + aliyun-python-sdk-core, the old SDK)
#   node_test.js (npm @alicloud/fnf-2019-03-15, the old Node SDK)
# and prints one closing line "N passed, M failed". Exit status is non-zero if any check failed
# or a suite crashed. Server and suite logs go to ${SDK_LOG_DIR:-$PWD/target/sdk-logs}.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 PATH_TO_SERVER_BINARY" >&2
  exit 2
fi
SERVER_BIN=$1
if [ ! -x "$SERVER_BIN" ]; then
  echo "sdk: server binary '$SERVER_BIN' is missing or not executable" >&2
  exit 2
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SDK_VENV=${SDK_VENV:-$PWD/target/sdk-venv}
SDK_NODE_DIR=${SDK_NODE_DIR:-$PWD/target/sdk-node}
SDK_LOG_DIR=${SDK_LOG_DIR:-$PWD/target/sdk-logs}
PYTHON=${PYTHON:-python3}
SUITE_TIMEOUT=${SDK_SUITE_TIMEOUT:-60}
AK=testKeyId
SK=testKeySecret

mkdir -p "$SDK_LOG_DIR"

# ---------------------------------------------------------------- SDK installs
# A stamp (hash of the pin files) avoids re-running pip/npm when nothing changed.
py_stamp=$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$SDK_VENV/bin/python" ]; then
  echo "sdk: creating Python venv at $SDK_VENV" >&2
  "$PYTHON" -m venv "$SDK_VENV"
fi
if [ "$(cat "$SDK_VENV/.sdk-stamp" 2>/dev/null || true)" != "$py_stamp" ]; then
  echo "sdk: installing Python SDKs (tests/sdk/requirements.txt)" >&2
  "$SDK_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" >&2
  echo "$py_stamp" >"$SDK_VENV/.sdk-stamp"
fi

node_stamp=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)
mkdir -p "$SDK_NODE_DIR"
if [ "$(cat "$SDK_NODE_DIR/.sdk-stamp" 2>/dev/null || true)" != "$node_stamp" ] \
  || [ ! -f "$SDK_NODE_DIR/node_modules/@alicloud/fnf-2019-03-15/package.json" ]; then
  echo "sdk: installing Node SDK into $SDK_NODE_DIR" >&2
  cp "$HERE/package.json" "$HERE/package-lock.json" "$SDK_NODE_DIR/"
  (cd "$SDK_NODE_DIR" && npm install --no-audit --no-fund --loglevel=error >&2)
  echo "$node_stamp" >"$SDK_NODE_DIR/.sdk-stamp"
fi

# ---------------------------------------------------------------- server
PORT=$("$SDK_VENV/bin/python" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
SERVER_LOG="$SDK_LOG_DIR/server.log"
"$SERVER_BIN" --listen "127.0.0.1:$PORT" --access-key-id "$AK" --access-key-secret "$SK" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

cleanup() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Wait (max 10 s) until GET /_emulator/health answers 200.
if ! "$SDK_VENV/bin/python" - "$PORT" "$SERVER_PID" <<'EOF'
import os, sys, time, urllib.request
port, pid = sys.argv[1], int(sys.argv[2])
deadline = time.time() + 10
last = None
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        print(f'sdk: server exited before becoming healthy', file=sys.stderr)
        sys.exit(1)
    try:
        with urllib.request.urlopen(f'http://127.0.0.1:{port}/_emulator/health', timeout=1) as r:
            if r.status == 200:
                sys.exit(0)
            last = f'HTTP {r.status}'
    except Exception as e:  # connection refused while starting, or a non-200 status
        last = repr(e)
    time.sleep(0.1)
print(f'sdk: server not healthy after 10 s (last: {last})', file=sys.stderr)
sys.exit(1)
EOF
then
  echo "sdk: --- server log ($SERVER_LOG) ---" >&2
  tail -n 40 "$SERVER_LOG" >&2 || true
  echo "0 passed, 1 failed"
  exit 1
fi

# ---------------------------------------------------------------- suites
export CLOUDFLOW_ENDPOINT="127.0.0.1:$PORT"
export CLOUDFLOW_AK="$AK"
export CLOUDFLOW_SK="$SK"
export SDK_NODE_DIR
export PYTHONDONTWRITEBYTECODE=1

total_passed=0
total_failed=0
crashed=0

run_suite() {
  local name=$1
  shift
  local out="$SDK_LOG_DIR/$name.out"
  local rc
  set +e
  timeout "$SUITE_TIMEOUT" "$@" 2>&1 | tee "$out" | sed -u "s/^/[$name] /"
  rc=${PIPESTATUS[0]}
  set -e
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1 || true)
  local p=0 f=0
  if [ -n "$line" ]; then
    p=${line%% passed*}
    f=${line#*, }
    f=${f%% failed*}
  fi
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  if [ -z "$line" ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
    echo "[$name] not ok - suite crashed or timed out (exit status $rc, no usable summary line)"
    total_failed=$((total_failed + 1))
    crashed=1
  fi
}

run_suite tea "$SDK_VENV/bin/python" "$HERE/tea_test.py"
run_suite core "$SDK_VENV/bin/python" "$HERE/core_test.py"
run_suite node node "$HERE/node_test.js"

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "sdk: the server process died during the run; see $SERVER_LOG" >&2
  total_failed=$((total_failed + 1))
fi
if [ "$total_failed" -ne 0 ]; then
  echo "sdk: logs in $SDK_LOG_DIR" >&2
fi

echo "$total_passed passed, $total_failed failed"
if [ "$total_failed" -ne 0 ] || [ "$crashed" -ne 0 ]; then
  exit 1
fi
exit 0
