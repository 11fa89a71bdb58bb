#!/usr/bin/env bash
# Set up a fresh virtual environment and run the demo on the embedded local backend (README: "see it work").
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${LUMAKIT_VENV:-.venv}"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e .
"$VENV/bin/lumakit" demo "$@"
