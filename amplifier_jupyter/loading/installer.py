"""Installing module sources (``git+https://...@ref``, ``git+file://...``) into the kernel.

pip runs in the kernel's own environment (``sys.executable -m pip``) as a
subprocess on the kernel's loop, its output passed line by line to a
progress callback. Before installing, a dry run (``pip install --dry-run
--report``) says what would change; an install that would downgrade or
replace a package the kernel already has is refused with one line naming
it, so a module pinning, say, ``anthropic<2`` cannot break the kernel.

``AMPLIFIER_JUPYTER_PIP_ARGS`` adds pip options (an index, ``--no-index
--find-links DIR`` offline).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amplifier_jupyter.errors import AmplifierUserError

PIP_ARGS_ENV = "AMPLIFIER_JUPYTER_PIP_ARGS"
ProgressCallback = Callable[[str], None]


class InstallRefused(AmplifierUserError):
    """The install would change a package the kernel already has."""


class InstallFailed(AmplifierUserError):
    """pip could not install the source."""


@dataclass
class InstallResult:
    """What an install did."""

    source: str
    installed: list[tuple[str, str]] = field(default_factory=list)
    module_ids: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for the user."""
        if not self.installed:
            return f"{self.source} is already installed"
        packages = ", ".join(f"{name} {version}" for name, version in self.installed)
        modules = f" (modules: {', '.join(self.module_ids)})" if self.module_ids else ""
        return f"installed {packages}{modules}"


def source_text(source: Any) -> str | None:
    """The URI of a plan's ``source`` (a string, or a dict with ``uri``/``url``)."""
    if isinstance(source, dict):
        source = source.get("uri") or source.get("url") or source.get("source")
    return source if isinstance(source, str) and source.strip() else None


def git_source(source: Any) -> str | None:
    """The source if it is a ``git+...`` URL pip can install, else None."""
    text = source_text(source)
    if text and text.strip().startswith("git+"):
        return text.strip()
    return None


def git_ref(source: str) -> str | None:
    """The ``@ref`` of a git source (a tag, branch or commit), if any."""
    url = source.split("#", 1)[0]
    tail = url.rsplit("/", 1)[-1]
    return tail.split("@", 1)[1] if "@" in tail else None


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def installed_versions() -> dict[str, str]:
    """Installed distributions of this environment by canonical name."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.name
        if name:
            found.setdefault(_canonical(name), dist.version)
    return found


def pip_extra_args() -> list[str]:
    """Extra pip options from the environment."""
    return shlex.split(os.environ.get(PIP_ARGS_ENV, ""))


async def run_pip(
    args: list[str], on_line: ProgressCallback | None = None
) -> tuple[int, list[str]]:
    """Run pip in the kernel's environment, line by line, without blocking the loop."""
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pip",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    lines: list[str] = []
    assert process.stdout is not None
    async for raw in process.stdout:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            lines.append(line)
            if on_line is not None:
                on_line(line)
    return await process.wait(), lines


def _failure_line(lines: list[str]) -> str:
    """The line of pip's output that says what went wrong."""
    for line in reversed(lines):
        text = line.strip()
        if text.startswith("ERROR:"):
            return text.removeprefix("ERROR:").strip()
    return lines[-1].strip() if lines else "no output"


def check_report(report: dict[str, Any], installed: dict[str, str]) -> list[tuple[str, str]]:
    """What a dry-run report would install; :class:`InstallRefused` if it changes a package.

    A package the user asked for may be replaced (that is the point of the
    install); its dependencies may not touch what is already there.
    """
    from packaging.version import InvalidVersion, Version

    changes = []
    for item in report.get("install", []):
        metadata = item.get("metadata") or {}
        name, version = str(metadata.get("name", "?")), str(metadata.get("version", "?"))
        current = installed.get(_canonical(name))
        if current is not None and current != version and not item.get("requested"):
            try:
                lower = Version(version) < Version(current)
            except InvalidVersion:
                lower = False
            verb = "downgrade" if lower else "replace"
            raise InstallRefused(
                f"refused: installing this would {verb} {name} {current} (used by this kernel) "
                f"with {version}; install it in another environment, or relax its pin"
            )
        changes.append((name, version))
    return changes


async def dry_run(source: str, on_line: ProgressCallback | None = None) -> list[tuple[str, str]]:
    """What ``pip install source`` would install (refusing changes to installed packages)."""
    with tempfile.TemporaryDirectory(prefix="amplifier-pip-") as folder:
        report_path = Path(folder) / "report.json"
        code, lines = await run_pip(
            [
                "install",
                "--dry-run",
                "--quiet",
                "--report",
                str(report_path),
                *pip_extra_args(),
                source,
            ],
            on_line,
        )
        if code != 0 or not report_path.exists():
            raise InstallFailed(f"pip cannot install {source}: {_failure_line(lines)}")
        report = json.loads(report_path.read_text(encoding="utf-8"))
    return check_report(report, installed_versions())


def installed_module_ids() -> dict[str, str]:
    """Module ids registered as entry points, with the distribution providing each."""
    found = {}
    for ep in importlib.metadata.entry_points(group="amplifier.modules"):
        dist = getattr(ep, "dist", None)
        found[ep.name] = getattr(dist, "name", "") or ""
    return found


async def install_source(source: str, on_line: ProgressCallback | None = None) -> InstallResult:
    """Install ``source`` into the kernel's environment after a dry run says it is safe."""
    before = set(installed_module_ids())
    result = InstallResult(source=source)
    if on_line is not None:
        on_line(f"checking {source} (pip dry run)")
    result.installed = await dry_run(source, on_line)
    if not result.installed:
        return result
    if on_line is not None:
        on_line(f"installing {', '.join(f'{n} {v}' for n, v in result.installed)}")
    code, lines = await run_pip(["install", *pip_extra_args(), source], on_line)
    if code != 0:
        raise InstallFailed(f"pip could not install {source}: {_failure_line(lines)}")
    importlib.invalidate_caches()
    result.module_ids = sorted(set(installed_module_ids()) - before)
    return result
