"""The wheel's build step for the lab extension (hatch-jupyter-builder's ``build-function``).

It is ``hatch_jupyter_builder.npm_builder`` with one thing first and one after.
First: without a Node.js that can run the build, it stops with one line that
says what is missing and what to do, instead of a traceback ending in "Could
not find cmd (npm) in path" or an npm log. After: ``install.json`` (how
JupyterLab says the extension was installed) is copied into the built
extension, so the wheel maps one directory and never adds that file twice
(``pyproject.toml`` says why). hatch-jupyter-builder imports this file by name
with the project root on ``sys.path`` (``labextension`` is a namespace package
there, only while building).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatch_jupyter_builder import npm_builder

HERE = Path(__file__).resolve().parent
INSTALL_JSON = HERE / "install.json"
# package.json's jupyterlab.outputDir.
BUILT = HERE.parent / "amplifier_jupyter" / "labextension"

# What @rspack/core (under @jupyter/builder) declares in its engines field.
NODE_RANGE = "20.19+ or 22.12+"
NEEDS_NODE = (
    "amplifier-jupyter: building the JupyterLab extension from source needs Node.js "
    f"{NODE_RANGE} with npm on PATH ({{problem}}); install it, or install a built wheel, "
    "which needs neither"
)


def node_problem() -> str | None:
    """What keeps node and npm here from building the extension, or None."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        return "missing: " + " and ".join(missing)
    found = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+", found)
    if match is None:
        return None  # an unusual version string: let the build itself judge
    major, minor = int(match[1]), int(match[2])
    if (major, minor) >= (22, 12) or (major == 20 and minor >= 19):
        return None
    return f"found node {found}"


def build(target_name: str, version: str, **kwargs: Any) -> None:
    """Build ``labextension/`` with npm, after checking that node and npm can."""
    problem = node_problem()
    if problem is not None:
        # SystemExit: the build backend prints the message alone, with no traceback.
        raise SystemExit(NEEDS_NODE.format(problem=problem))
    npm_builder(target_name, version, **kwargs)
    # An editable build that found nothing newer in src/ built nothing; the copy is cheap
    # either way. copyfile, not copy2: a fresh mtime, and no harm where BUILT is the
    # installed directory (after `jupyter labextension develop`, the same file).
    BUILT.mkdir(parents=True, exist_ok=True)
    target = BUILT / INSTALL_JSON.name
    if not target.exists() or target.read_bytes() != INSTALL_JSON.read_bytes():
        shutil.copyfile(INSTALL_JSON, target)
