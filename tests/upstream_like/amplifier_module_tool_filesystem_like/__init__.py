"""``tool-filesystem-like``: a test tool behaving as upstream ``tool-filesystem``'s ``read_file``.

Read from ``microsoft/amplifier-module-tool-filesystem`` (``read.py`` and
``__init__.py`` at commit 355fa41, read 2026-12-01) and measured in a kernel
(docs/design.md, fact 23: upstream tools declare no ``read_only``; issue 13: under
``auto`` ``read_file`` asked every time):

* a tool named ``read_file`` with input ``{file_path, offset?, limit?}``
  (1-based ``offset``, default 1; ``limit`` default 2000 lines); a relative path
  is taken from ``working_dir`` (config, else the ``session.working_dir``
  capability, else the process's directory);
* the answer is a dict ``{file_path, content, total_lines, lines_read, offset}``
  with ``content`` numbered as ``cat -n`` does (``f"{n:6d}\\t{line}"``), plus a
  ``warning`` for an empty file; a missing path fails with
  ``Path not found: <path>``;
* each read emits ``artifact:read`` ``{path, bytes}`` through the coordinator's
  hooks;
* it declares nothing about being read-only (no ``read_only``, no metadata),
  exactly as upstream: whatever lets it run without asking must come from a
  list of upstream tool names, not from the tool.

Not modelled: ``write_file`` / ``edit_file`` (upstream mounts them too), directory
listings, ``@mention`` paths, ``allowed_read_paths``, line truncation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from amplifier_core import ToolResult
from amplifier_core.events import ARTIFACT_READ

__amplifier_module_type__ = "tool"
__all__ = ["ReadFileLikeTool", "mount"]

DEFAULT_LIMIT = 2000


def _failed(message: str) -> ToolResult:
    return ToolResult(success=False, output=message, error={"message": message})


class ReadFileLikeTool:
    """``read_file``: lines of a text file, numbered."""

    name = "read_file"
    description = (
        "Reads a text file and returns its lines numbered from 1. Give `offset` (first "
        "line, 1-based) and `limit` (how many lines) to read part of a long file."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "file_path": {"type": "string", "description": "Absolute or relative path."},
            "offset": {"type": "integer", "description": "The first line to read (1-based)."},
            "limit": {"type": "integer", "description": "How many lines to read."},
        },
        "required": ["file_path"],
    }

    def __init__(self, config: dict[str, Any], coordinator: Any) -> None:
        self.working_dir = config.get("working_dir")
        self.coordinator = coordinator

    def _path(self, file_path: str) -> Path:
        path = Path(file_path).expanduser()
        if not path.is_absolute() and self.working_dir:
            path = Path(self.working_dir) / path
        return path

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        file_path = input.get("file_path", "")
        if not file_path:
            return _failed("file_path is required")
        offset = int(input.get("offset", 1))
        limit = int(input.get("limit", DEFAULT_LIMIT))
        path = self._path(file_path)
        if not path.exists():
            return _failed(f"Path not found: {file_path}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            return _failed(f"Cannot read file: {file_path} (not a text file or encoding issue)")
        except OSError as error:
            return _failed(f"Error reading file: {error}")
        lines = text.splitlines()
        start = max(0, offset - 1)
        chosen = lines[start : start + limit]
        numbered = "\n".join(f"{offset + i:6d}\t{line}" for i, line in enumerate(chosen))
        await self.coordinator.hooks.emit(
            ARTIFACT_READ, {"path": str(path), "bytes": len(text.encode("utf-8"))}
        )
        output: dict[str, Any] = {
            "file_path": str(path),
            "content": numbered,
            "total_lines": len(lines),
            "lines_read": len(chosen),
            "offset": offset,
        }
        if not lines:
            output["warning"] = "File exists but has empty contents"
        return ToolResult(success=True, output=output)


async def mount(coordinator: Any, config: dict[str, Any] | None = None) -> None:
    """Mount ``read_file``; ``working_dir`` defaults to the ``session.working_dir`` capability."""
    config = dict(config or {})
    config["working_dir"] = config.get("working_dir") or coordinator.get_capability(
        "session.working_dir"
    )
    tool = ReadFileLikeTool(config, coordinator)
    await coordinator.mount("tools", tool, name=tool.name)
