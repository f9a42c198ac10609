# Shared by scripts/demo and scripts/test: create .venv and install the project into it.
# Usage: . scripts/_venv.sh [extra]   (extra = "test" installs the test extra)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CLAUDE_COMPAT_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
if [ ! -x "$VENV/bin/uv" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check uv
fi
SPEC="$ROOT"
if [ "${1:-}" = "test" ]; then SPEC="$ROOT[test]"; fi
"$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -e "$SPEC"
