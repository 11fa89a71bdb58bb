#!/usr/bin/env bash
# Set up a fresh virtual environment and run the tests (README: "run the tests").
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${LUMAKIT_VENV:-.venv}"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[dev,browser]"
"$VENV/bin/python" -m mypy lumakit/   # py.typed ships: the package type-checks clean ([tool.mypy])
set +e
"$VENV/bin/python" -m pytest -n "${LUMAKIT_TEST_WORKERS:-2}" --dist load "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "no tests were collected: that is a failure" >&2
  exit 1
fi
exit "$status"
