"""One TLS context for every SDK client this provider makes in the process.

The SDK builds a new ``ssl.SSLContext`` for each client it makes (httpx2 loads the
system's CA bundle each time: about 20 ms, measured in a kernel), and this provider
makes one client per session: the first cell, each new plan and each child session
paid it. The context is the one the SDK would build (``httpx2.create_ssl_context()``,
which reads ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``), kept per value of those two
variables so that setting them later still counts. The warm-up builds it before the
first cell (``cell/first_imports.py``).
"""

from __future__ import annotations

import os
import ssl

import httpx2

_contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def shared_ssl_context() -> ssl.SSLContext:
    """The process's TLS context for the current ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _contexts.get(key)
    if context is None:
        context = _contexts[key] = httpx2.create_ssl_context()
    return context
