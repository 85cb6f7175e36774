"""The installed modules' entry points and the TLS context are read once per process,
and read again when what they depend on changes."""

from __future__ import annotations

import importlib.metadata
import ssl
import sys
from pathlib import Path
from typing import Any

import pytest

from amplifier_jupyter.loading import entry_points
from amplifier_jupyter.loading.entry_points import installed_modules
from amplifier_jupyter.modules.provider_claude._tls import shared_ssl_context

DIST_INFO = "amplifier_module_probe-1.0.dist-info"


def _install_probe(site: Path) -> None:
    """What pip leaves for a distribution that registers one Amplifier module."""
    info = site / DIST_INFO
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: amplifier-module-probe\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text("[amplifier.modules]\nprobe-module = probe_pkg:mount\n")


def test_an_install_into_a_path_directory_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    before = installed_modules()
    assert "probe-module" not in before
    assert installed_modules() == before  # the same read, kept
    _install_probe(tmp_path)
    after = installed_modules()
    assert after["probe-module"].value == "probe_pkg:mount"
    assert set(after) - set(before) == {"probe-module"}


def test_a_path_removed_from_sys_path_is_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_probe(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "probe-module" in installed_modules()
    sys.path.remove(str(tmp_path))
    assert "probe-module" not in installed_modules()


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How often the entry points are read from the metadata (one item a read)."""
    reads: list[int] = []
    read = importlib.metadata.entry_points

    def counted(**select: Any) -> Any:
        reads.append(1)
        return read(**select)

    monkeypatch.setattr(entry_points.importlib.metadata, "entry_points", counted)
    return reads


def test_a_change_in_the_working_directory_keeps_the_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel's working directory is on sys.path as ''; the first cell makes
    .amplifier/ there for its transcripts, which must not cost the loader a new read."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", ["", *sys.path])
    reads = _count_reads(monkeypatch)
    before = installed_modules()
    (tmp_path / ".amplifier" / "sessions").mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("a file of the user's")
    assert installed_modules() == before
    assert len(reads) == 1
    _install_probe(tmp_path)  # a distribution there still counts
    assert installed_modules()["probe-module"].value == "probe_pkg:mount"
    assert len(reads) == 2


def test_a_reinstall_of_the_same_version_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_probe(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "probe-module" in installed_modules()
    info = tmp_path / DIST_INFO
    for item in info.iterdir():
        item.unlink()
    info.rmdir()
    _install_probe(tmp_path)
    (info / "entry_points.txt").write_text("[amplifier.modules]\nprobe-module = probe_pkg:other\n")
    assert installed_modules()["probe-module"].value == "probe_pkg:other"


def test_one_tls_context_per_certificate_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    first = shared_ssl_context()
    assert isinstance(first, ssl.SSLContext)
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert shared_ssl_context() is first
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    other = shared_ssl_context()
    assert other is not first
    monkeypatch.delenv("SSL_CERT_DIR")
    assert shared_ssl_context() is first
