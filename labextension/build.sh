#!/usr/bin/env bash
# Build the JupyterLab extension into amplifier_jupyter/labextension/ and link it into
# the active Python environment (like `jupyter labextension develop --overwrite .`).
# Idempotent and quiet: steps whose inputs did not change are skipped; a failing
# step prints its log. Run it with the project's venv active (.ci/run does): its
# `python` and `jupyter` build against its JupyterLab and link the extension into it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="$root/amplifier_jupyter/labextension"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cd "$here"

step() {  # step NAME COMMAND...: run quietly, show the log only on failure
  local name="$1"
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "labextension/build.sh: $name failed:" >&2
    cat "$log" >&2
    exit 1
  fi
}

# npm ci wipes node_modules, so it runs only when the lock file changed.
stamp="node_modules/.amplifier-lock.sha256"
lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  step "npm ci" npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi

step "tsc" npx tsc

# The webpack build takes a while: skip it when nothing it reads is newer than its output.
if [ ! -f "$out/package.json" ] ||
  [ -n "$(find src style package.json package-lock.json tsconfig.json lib -newer "$out/package.json" -print -quit)" ]; then
  # Build against the JupyterLab installed here, so the shared packages match the running lab.
  core="$(python -c 'import jupyterlab, pathlib; print(pathlib.Path(jupyterlab.__file__).parent / "staging" / "package.json")')"
  step "jupyter labextension build" jupyter labextension build --core-package-file "$core" .
fi

step "jupyter labextension develop" jupyter labextension develop --overwrite "$root"
