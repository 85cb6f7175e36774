"""The installed modules' entry points and the TLS context are read once per process,
and read again when what they depend on changes."""

from __future__ import annotations

import ssl
import sys
from pathlib import Path

import pytest

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
