"""Which tool calls run, which ask first, which are refused; and the asking itself.

The kernel's approval path (``HookResult(action="ask_user")``) never learns
which tool is asking, keeps no memory and enforces no timeout (docs/design.md,
fact 8), so the policy knows the tool, remembers ``Allow always`` and enforces
the timeout itself; the hook (``_hook.py``) asks the approval system directly.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from amplifier_jupyter.modules._config_values import ConfigError, mapping, seconds
from amplifier_jupyter.modules._tool_input import tool_input_text

Mode = Literal["ask", "allow", "deny"]
MODES: tuple[str, ...] = ("ask", "allow", "deny")
# Amplifier's own decision words: the kernel understands exactly these.
APPROVAL_OPTIONS = ["Allow once", "Allow always", "Deny"]
DEFAULT_TIMEOUT = 120.0


# Upstream tools that declare nothing (docs/design.md, facts 23 and 27) but were read to
# only read: tool-filesystem's ``read_file`` (a file's lines, or a directory's listing)
# and tool-search's ``glob`` (paths matching a pattern). Deliberately not here:
# tool-search's ``grep``, whose pattern goes to ripgrep as a bare argument, so a pattern
# ``--pre=sh`` runs every searched file through sh (fact 27); ``write_file``,
# ``edit_file``, ``bash``; web tools, which send what the model chooses to a server.
UPSTREAM_READ_ONLY = frozenset({"read_file", "glob"})


def is_read_only(tool: Any, tool_name: str | None = None) -> bool:
    """Whether a tool only reads: it declares ``read_only = True`` or an MCP-style
    ``readOnlyHint``, or it is one of :data:`UPSTREAM_READ_ONLY` (by the name the model
    calls it, ``tool_name``) and does not declare ``read_only = False``.

    Never a pattern in a name: a module chooses its tools' names.
    """
    declared = getattr(tool, "read_only", None)
    if declared is True:
        return True
    annotations = getattr(tool, "annotations", None)
    hint = (
        annotations.get("readOnlyHint")
        if isinstance(annotations, dict)
        else getattr(annotations, "readOnlyHint", None)
    )
    if hint is True:
        return True
    return declared is None and tool_name in UPSTREAM_READ_ONLY


class ApprovalPolicy:
    """Per-tool approval modes, with ``auto`` as the default.

    ``auto`` lets tools that declare themselves read-only run and asks for the
    rest (tools that run code or change files). ``Allow always`` is remembered
    for the life of the policy, that is, of the session.
    """

    def __init__(
        self,
        default: str = "auto",
        tools: dict[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if default not in (*MODES, "auto"):
            raise ValueError(f"approval default must be auto, ask, allow or deny, not {default!r}")
        self.default = default
        self.rules: dict[str, str] = {}
        # Before the rules: set() forgets a tool's "Allow always".
        self.always: set[str] = set()
        for name, mode in (tools or {}).items():
            self.set(mode, [name])
        self.timeout = float(timeout)

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> ApprovalPolicy:
        """Build from an orchestrator config's ``approval`` section."""
        config = config or {}
        tools = mapping(config, "tools", '{"python": "ask"}')
        for name, mode in tools.items():
            if mode not in MODES:
                raise ConfigError(f"config tools.{name} must be ask, allow or deny, not {mode!r}")
        default = config.get("default", "auto")
        if default not in (*MODES, "auto"):
            raise ConfigError(f"config default must be auto, ask, allow or deny, not {default!r}")
        return cls(
            default=default, tools=tools, timeout=seconds(config, "timeout", DEFAULT_TIMEOUT)
        )

    def set(self, mode: str, tools: list[str] | None = None) -> None:
        """Set the mode for the named tools, or for all tools (clearing per-tool rules)."""
        if mode not in MODES and not (mode == "auto" and not tools):
            raise ValueError(f"approval mode must be ask, allow or deny, not {mode!r}")
        if tools:
            for name in tools:
                self.rules[name] = mode
                self.always.discard(name)
        else:
            self.default = mode
            self.rules.clear()
            self.always.clear()

    def decide(self, tool_name: str, tool: Any = None) -> Mode:
        """``allow``, ``deny`` or ``ask`` for one call of this tool."""
        if tool_name in self.rules:
            mode = self.rules[tool_name]
        elif self.default == "auto":
            mode = "allow" if is_read_only(tool, tool_name) else "ask"
        else:
            mode = self.default
        if mode == "ask" and tool_name in self.always:
            return "allow"
        return mode  # type: ignore[return-value]

    def remember(self, tool_name: str) -> None:
        """``Allow always``: this tool runs without asking for the rest of the session."""
        self.always.add(tool_name)

    def describe(self) -> str:
        """One line for ``%amplifier status``."""
        parts = [f"default {self.default}"]
        parts += [f"{name} {mode}" for name, mode in sorted(self.rules.items())]
        if self.always:
            parts.append("always allowed: " + ", ".join(sorted(self.always)))
        parts.append(f"timeout {self.timeout:g}s")
        return " · ".join(parts)


def describe_call(tool_name: str, tool_input: dict[str, Any], limit: int = 600) -> str:
    """The question shown to the user: which tool wants to do what."""
    detail = tool_input_text(tool_input)
    if len(detail) > limit:
        detail = detail[:limit] + " …"
    return f"Allow the tool '{tool_name}' to run with: {detail}"


async def ask(
    approval_system: Any,
    prompt: str,
    options: list[str],
    timeout: float | None,
    default: Literal["allow", "deny"] = "deny",
    *,
    tool_name: str | None = None,
    tool_input: Any = None,
    child: str | None = None,
    review: dict[str, Any] | None = None,
) -> tuple[str, str | None]:
    """Ask through the approval system; returns ``(decision, note)``.

    The timeout is enforced here (the kernel does not; None waits) and applies
    the default; ``note`` says so. With ``tool_name``, an approval system that
    has ``request_tool_approval`` (the notebook's) is told which tool asks, so
    its card can show the tool and its input (and ``review``, what the call would change:
    ``_review.py``); any other gets Amplifier's
    ``request_approval(prompt, options, timeout, default)``.
    """
    if approval_system is None:
        return default, "no approval system is attached: set a policy with %amplifier approve"
    by_tool = getattr(approval_system, "request_tool_approval", None)
    if tool_name is not None and by_tool is not None:
        extra = {"review": review} if review is not None else {}
        question = by_tool(
            tool_name, tool_input, prompt, options, timeout, default, child=child, **extra
        )
    else:
        # Amplifier's protocol has no "wait for ever": a day stands for it.
        question = approval_system.request_approval(
            prompt, options, timeout if timeout is not None else 86400.0, default
        )
    waited = f"no answer within {timeout:g}s" if timeout is not None else "no answer"
    try:
        choice = await asyncio.wait_for(question, timeout)
    except TimeoutError:
        return default, f"{waited}: {default} applied"
    except Exception as error:  # an approval UI that fails must not run the tool
        if type(error).__name__ == "ApprovalTimeoutError":
            if getattr(error, "headless", False):  # nobody could be asked: it says so
                return default, str(error)
            return default, f"{waited}: {default} applied"
        return "deny", f"the approval prompt failed ({error}): denied"
    return str(choice), None
