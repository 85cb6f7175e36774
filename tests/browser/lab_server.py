"""A JupyterLab (or Notebook 7) server for browser tests, and the notebook files it serves.

The server runs this interpreter's ``jupyter lab`` (or ``jupyter notebook``:
the same lab extension, another shell) on 127.0.0.1 with a random
port and token, in a scratch root folder, with its own config, settings and
workspace folders (nothing of the user's leaks in, nothing of ours leaks
out). It serves the lab extension installed in this environment (by the
wheel, or linked by ``jupyter labextension develop``), and its kernels
import the installed package: the tests see what a user installs.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

from jupyter_core.paths import jupyter_path
from server_process import log_tail, stop_process, wait_answering

ROOT = Path(__file__).resolve().parents[2]
EXTENSION_NAME = "amplifier-jupyter"
# A checkout's build (`jupyter labextension develop` links it) and what it is built from.
CHECKOUT_BUILD = ROOT / "amplifier_jupyter" / "labextension"
CHECKOUT_SOURCES = [ROOT / "labextension" / folder for folder in ("src", "style", "schema")]
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
# Plugins that would reach the internet or pop up over the notebook.
DISABLED_PLUGINS = {
    "@jupyterlab/apputils-extension:announcements": True,
}
INSTALL_HINT = (
    "`pip install .` (the wheel carries it), or in a checkout "
    "`pip install -e . && jupyter labextension develop --overwrite .`"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
App = Literal["lab", "notebook"]
# The traitlets class of each app's own options (settings, workspaces, the app in the page).
APP_CLASS: dict[App, str] = {"lab": "LabApp", "notebook": "JupyterNotebookApp"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@functools.cache
def extension_problem() -> str | None:
    """Why the browser tests cannot use the installed lab extension, in one line, or None.

    The tests do not build it: the wheel carries it. ``jupyter labextension list``
    must show it enabled and OK; a checkout's build linked into the environment
    must not be older than its sources (``npm run build`` in ``labextension/``).
    """
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    listing = _ANSI.sub("", done.stdout + done.stderr)
    line = next((x for x in listing.splitlines() if x.split()[:1] == [EXTENSION_NAME]), None)
    if line is None:
        return f"the lab extension {EXTENSION_NAME} is not installed here: {INSTALL_HINT}"
    if not re.search(r"\benabled\s+OK\b", line):
        return f"`jupyter labextension list` says `{line.strip()}`: {INSTALL_HINT}"
    installed = next(
        (
            folder / EXTENSION_NAME
            for folder in map(Path, jupyter_path("labextensions"))
            if (folder / EXTENSION_NAME / "package.json").is_file()
        ),
        None,
    )
    if installed is not None and installed.resolve() == CHECKOUT_BUILD.resolve():
        built = (CHECKOUT_BUILD / "package.json").stat().st_mtime
        newer = [
            p for folder in CHECKOUT_SOURCES for p in folder.rglob("*") if p.stat().st_mtime > built
        ]
        if newer:
            return (
                f"the linked lab extension is older than {newer[0].relative_to(ROOT)}: "
                "run `npm run build` in labextension/"
            )
    return None


def notebook_json(cells: list[str], kernelspec: dict[str, str] | None = None) -> dict[str, Any]:
    """A notebook of code cells whose kernelspec is set (so Lab asks no "Select Kernel").

    ``kernelspec`` names another kernel than ``python3`` (one in the server's ``JUPYTER_PATH``).
    """
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{i}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for i, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": kernelspec or KERNELSPEC,
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


class LabServer:
    """``jupyter lab`` in a subprocess; ``url_for(path)`` opens a file with the token.

    ``env`` is the whole environment of the server and its kernels (default:
    this process's); the Jupyter config and runtime folders are set on top.
    ``app`` is ``"notebook"`` for Notebook 7 (``jupyter notebook``); ``args`` are
    more command-line options (e.g. ``--gateway-url=...``: kernels behind a gateway).
    """

    def __init__(
        self,
        home: Path,
        env: dict[str, str] | None = None,
        app: App = "lab",
        args: tuple[str, ...] = (),
    ) -> None:
        self.home = home
        self.app: App = app
        self.args = args
        self.root = home / "root"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.env = dict(os.environ if env is None else env)
        self.log_path = home / f"jupyter-{app}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def url_for(self, path: str) -> str:
        """The URL that opens ``path`` (relative to the root folder) alone.

        In Lab, ``reset`` starts from an empty workspace: no tab of an earlier test
        reopens. Notebook 7 shows one notebook per page at ``/notebooks/``.
        """
        if self.app == "notebook":
            return f"{self.url}/notebooks/{path}?token={self.token}"
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"

    def write_notebook(
        self, name: str, cells: list[str], kernelspec: dict[str, str] | None = None
    ) -> str:
        """Write a notebook of code cells into the root folder; returns its name."""
        notebook = notebook_json(cells, kernelspec)
        (self.root / name).write_text(json.dumps(notebook), encoding="utf-8")
        return name

    def read_notebook(self, name: str) -> dict[str, Any]:
        """A notebook as saved on disk."""
        return json.loads((self.root / name).read_text(encoding="utf-8"))

    def disable_extensions(self, extensions: dict[str, bool]) -> None:
        """Disable (True) or enable (False) extensions or plugins by name, for pages
        loaded from now on (the server reads ``page_config.json`` for each page; it keeps
        a name it once read, so enable one again with False, never by leaving it out)."""
        (self.home / "config" / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {**DISABLED_PLUGINS, **extensions}}),
            encoding="utf-8",
        )

    def start(self, timeout: float = 60.0) -> LabServer:
        """Start the server and wait until its API answers."""
        for folder in ("root", "config/labconfig", "settings", "workspaces"):
            (self.home / folder).mkdir(parents=True, exist_ok=True)
        self.disable_extensions({})
        env = {
            **self.env,
            "JUPYTER_CONFIG_DIR": str(self.home / "config"),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
        }
        app = APP_CLASS[self.app]
        command = [
            sys.executable,
            "-m",
            "jupyter",
            self.app,
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            "--allow-root",
            f"--ServerApp.root_dir={self.root}",
            f"--{app}.user_settings_dir={self.home / 'settings'}",
            f"--{app}.workspaces_dir={self.home / 'workspaces'}",
            # window.jupyterapp: tests read cell sources from the notebook model.
            f"--{app}.expose_app_in_browser=True",
        ]
        if self.app == "lab":
            command += [
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ]
        command += self.args
        with self.log_path.open("wb") as log:  # the server writes to its own copy of the file
            self._process = subprocess.Popen(
                command, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()  # a server that never answered is not left running
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self._process is not None
        status = f"{self.url}/api/status?token={self.token}"
        wait_answering(self._process, status, f"jupyter {self.app}", self.log_path, timeout)

    def stop(self) -> None:
        """Stop the server (and with it the kernels it started)."""
        stop_process(self._process)

    def log(self) -> str:
        """The end of the server's log (for failure messages)."""
        return log_tail(self.log_path)

    def __enter__(self) -> LabServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
