"""Where each module of a plan comes from: installed, a local directory, or a built-in.

Order (first match wins):

1. a module installed under that id (``amplifier.modules`` entry point);
2. a ``source`` that is a local directory: imported from there;
3. the upstream ids ``loop-basic``, ``loop-streaming``, ``context-simple`` and
   ``provider-anthropic``: the built-in equivalent, with the plan's config
   (``%amplifier install`` installs the real one instead);
4. a ``git+https://...@ref`` / ``git+file://...`` source, or, with no source,
   the id of one of Amplifier's own modules (catalog.py): installed into the
   kernel's environment with pip on first use (installer.py), then loaded;
5. otherwise one line saying which module was not found, from which source,
   and the id it may have meant (suggest.py).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import sys
from pathlib import Path
from typing import Any

from amplifier_core import ModuleLoader

from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.loading import standins
from amplifier_jupyter.loading.catalog import catalog_source
from amplifier_jupyter.loading.entry_points import forget as forget_installed
from amplifier_jupyter.loading.entry_points import installed_modules
from amplifier_jupyter.loading.installer import (
    git_ref,
    git_source,
    install_source,
    installed_module_ids,
    source_text,
)
from amplifier_jupyter.loading.standins import BUILTIN_EQUIVALENTS
from amplifier_jupyter.loading.suggest import not_found_line

# Where the built-in modules live: an entry point into it is a built-in module.
BUILTIN_PACKAGE = "amplifier_jupyter.modules."


class ModuleNotFound(LookupError):
    """A plan names a module that is not installed, built in, or at its source."""


def local_directory(source: Any) -> Path | None:
    """The directory a ``source`` names, if it is a local one that exists."""
    if isinstance(source, dict):
        source = source.get("path") or source.get("uri")
    if not isinstance(source, str):
        return None
    text = source.removeprefix("file://")
    if text.startswith(("git+", "http://", "https://")):
        return None
    path = Path(text).expanduser()
    return path if path.is_dir() else None


class NotebookModuleLoader(ModuleLoader):
    """A :class:`amplifier_core.ModuleLoader` applying the order in the module docstring.

    ``origins`` records where each module came from, and ``notices`` the one
    line to show when a built-in stood in for an upstream module.
    """

    def __init__(self, coordinator: Any = None) -> None:
        super().__init__(coordinator=coordinator)
        self._session_coordinator = coordinator
        self.origins: dict[str, str] = {}
        self.notices: list[str] = []
        # Event listeners (the kernel session's): install progress goes to the panel.
        self.listeners: list[Any] = []
        # The installed modules, read once for the session's modules (see installed()).
        self._installed: dict[str, importlib.metadata.EntryPoint] | None = None

    def installed(self) -> dict[str, importlib.metadata.EntryPoint]:
        """The ``amplifier.modules`` entry points by module id, the first of each id as
        amplifier-core takes it; one view for all the modules of a session, taken again
        after an install (entry_points.py keeps the read between sessions)."""
        if self._installed is None:
            self._installed = installed_modules()
        return self._installed

    async def load(
        self,
        module_id: str,
        config: dict[str, Any] | None = None,
        source_hint: str | dict | None = None,
        coordinator: Any = None,
    ) -> Any:
        """Return the mount function for ``module_id`` (see the module docstring)."""
        entry = self.installed().get(module_id)
        if entry is not None:
            builtin = entry.module.startswith(BUILTIN_PACKAGE)
            self.origins[module_id] = "built-in" if builtin else "installed"
            # An upstream module installed in this kernel after its stand-in was imported.
            standins.forget_shadowed()
            mount = self._builtin_mount(entry, config) if builtin else None
            if mount is not None:
                return mount
            return await super().load(module_id, config, None, coordinator)

        directory = local_directory(source_hint)
        if directory is not None:
            mount = self._load_from_directory(module_id, directory, config)
            self.origins[module_id] = f"path {directory}"
            return mount

        equivalent = BUILTIN_EQUIVALENTS.get(module_id)
        if equivalent is not None:
            self.origins[module_id] = f"built-in {equivalent}"
            self.notices.append(
                f"{module_id} is not installed: using the built-in {equivalent} "
                "with the plan's config"
            )
            return await super().load(equivalent, config, None, coordinator)

        git = git_source(source_hint) or (
            catalog_source(module_id) if source_hint is None else None
        )
        if git is not None:
            await self._install(module_id, git)
            self.origins[module_id] = f"git {git}"
            return await super().load(module_id, config, None, coordinator)

        raise ModuleNotFound(not_found_line(module_id, source_text(source_hint)))

    def _progress(self, module_id: str, source: str, status: str, line: str = "") -> None:
        data = {"module_id": module_id, "source": source, "status": status, "line": line}
        for listener in list(self.listeners):
            # A broken view must not stop the install.
            with contextlib.suppress(Exception):
                listener("install:progress", data)

    async def _install(self, module_id: str, source: str) -> None:
        """pip-install a git source, reporting progress; one line if it cannot be used."""

        self._progress(module_id, source, "started")
        try:
            result = await install_source(
                source, lambda line: self._progress(module_id, source, "progress", line)
            )
        except AmplifierUserError as error:
            self._progress(module_id, source, "failed", str(error))
            raise ModuleNotFound(f"module '{module_id}' from {source}: {error}") from None
        self._progress(module_id, source, "done", result.describe())
        forget_installed()
        self._installed = None
        if module_id not in self.installed():
            raise ModuleNotFound(
                f"{source} was installed but registers no module '{module_id}' "
                "(an amplifier.modules entry point): check the module id"
            )
        self.notices.append(f"{module_id}: {result.describe()} from {source}")

    def _load_from_directory(self, module_id: str, directory: Path, config: dict | None) -> Any:
        package = f"amplifier_module_{module_id.replace('-', '_')}"
        root = str(directory.resolve())
        # A source may be the package itself or the project folder holding it.
        if directory.name == package:
            root = str(directory.resolve().parent)
        if root not in sys.path:
            sys.path.insert(0, root)
        try:
            module = importlib.import_module(package)
        except ImportError as error:
            raise ModuleNotFound(
                f"module '{module_id}': no importable package {package} in {directory} ({error})"
            ) from None
        mount = getattr(module, "mount", None)
        if mount is None:
            raise ModuleNotFound(f"module '{module_id}' in {directory} has no mount() function")
        return _with_config(mount, config)

    def _builtin_mount(
        self, entry: importlib.metadata.EntryPoint, config: dict[str, Any] | None
    ) -> Any:
        """A built-in module's mount, from the entry point already read (amplifier-core's
        loader would read every entry point again for each module); None where
        amplifier-core's own loading must decide: a mounted source resolver, or a
        module with ``on_session_ready``, which its loader passes on."""
        if self._source_resolver() is not None:
            return None
        mount = entry.load()
        module = sys.modules.get(getattr(mount, "__module__", ""))
        if module is None or hasattr(module, "on_session_ready"):
            return None
        return _with_config(mount, config)

    def _source_resolver(self) -> Any:
        """The ``module-source-resolver`` mounted on the session's coordinator, if any."""
        if self._session_coordinator is None:
            return None
        try:
            return self._session_coordinator.get("module-source-resolver")
        except Exception:  # amplifier-core raises ValueError where nothing is mounted
            return None


def _with_config(mount: Any, config: dict[str, Any] | None) -> Any:
    """The mount closure amplifier-core expects: ``mount(coordinator)`` with the config bound."""

    async def mount_with_config(coordinator: Any) -> Any:
        return await mount(coordinator, config or {})

    return mount_with_config


def _installed_origin(distribution: str) -> tuple[str, str]:
    """Where an installed distribution came from (git, path, index) and its version."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "installed", "?"
    origin = "installed"
    direct = dist.read_text("direct_url.json")
    if direct:
        import json

        info = json.loads(direct)
        vcs = info.get("vcs_info") or {}
        if vcs:
            ref = vcs.get("requested_revision")
            commit = str(vcs.get("commit_id", ""))[:10]
            at = f"@{ref}" if ref else ""
            url = str(info.get("url", ""))
            url = url if url.startswith("git+") else f"git+{url}"
            origin = f"git {url}{at} (installed, {commit})"
        elif (info.get("dir_info") or {}).get("editable"):
            origin = f"path {info.get('url', '').removeprefix('file://')} (editable install)"
    return origin, dist.version


def module_origin(module_id: str, source: Any = None) -> tuple[str, str]:
    """``(where from, version)`` of a module as the loader would resolve it, without loading."""
    installed = installed_module_ids()
    if module_id in installed:
        distribution = installed[module_id]
        if distribution == "amplifier-jupyter":
            return "built-in", importlib.metadata.version("amplifier-jupyter")
        return _installed_origin(distribution)
    directory = local_directory(source)
    if directory is not None:
        return f"path {directory}", _directory_version(directory)
    equivalent = BUILTIN_EQUIVALENTS.get(module_id)
    if equivalent is not None:
        return f"built-in {equivalent}", importlib.metadata.version("amplifier-jupyter")

    git = git_source(source) or (catalog_source(module_id) if source is None else None)
    if git is not None:
        return f"git {git} (installed on first use)", git_ref(git) or "default branch"
    return "not found", "-"


def _directory_version(directory: Path) -> str:
    """The version in the pyproject.toml at or above a module's directory."""
    import tomllib

    for folder in (directory, directory.parent):
        path = folder / "pyproject.toml"
        if path.is_file():
            try:
                return str(tomllib.loads(path.read_text())["project"]["version"])
            except (OSError, KeyError, ValueError):
                return "-"
    return "-"
