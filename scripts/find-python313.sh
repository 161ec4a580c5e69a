#!/usr/bin/env sh
# Prints the path of a Python 3.13 interpreter (the Lambda runtime's version), or explains how to get one.
for cand in "${LINKPILOT_PYTHON:-}" python3.13; do
  [ -n "$cand" ] || continue
  if p=$(command -v "$cand" 2>/dev/null) && "$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
    echo "$p"; exit 0
  fi
done
# pyenv installs that are not selected as the global version are not on PATH through the shims.
for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do
  if [ -x "$p" ] && "$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
    echo "$p"; exit 0
  fi
done
cat >&2 <<'MSG'
Linkpilot needs Python 3.13 (the Lambda runtime's version) and none was found.
Get one with:   pyenv install 3.13      (https://github.com/pyenv/pyenv)
            or: apt-get install python3.13   (Debian 13 / Ubuntu 24.10+)
or point LINKPILOT_PYTHON at a python3.13 binary.
MSG
exit 1
