"""Which tool calls run, which ask first, which are refused; and the asking itself.

The kernel's approval path (``HookResult(action="ask_user")``) never learns
which tool is asking, keeps no memory and enforces no timeout (docs/design.md,
fact 8), so the policy knows the tool, remembers ``Allow always`` and enforces
the timeout itself.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from amplifier_jupyter.modules._tool_input import tool_input_text

Mode = Literal["ask", "allow", "deny"]
MODES: tuple[str, ...] = ("ask", "allow", "deny")
# Amplifier's own decision words: the kernel understands exactly these.
APPROVAL_OPTIONS = ["Allow once", "Allow always", "Deny"]
DEFAULT_TIMEOUT = 120.0


def is_read_only(tool: Any) -> bool:
    """Whether a tool says it only reads (``read_only = True`` or an MCP-style hint)."""
    if getattr(tool, "read_only", False) is True:
        return True
    annotations = getattr(tool, "annotations", None)
    return isinstance(annotations, dict) and annotations.get("readOnlyHint") is True


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
        return cls(
            default=config.get("default", "auto"),
            tools=config.get("tools"),
            timeout=config.get("timeout", DEFAULT_TIMEOUT),
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
            mode = "allow" if is_read_only(tool) else "ask"
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
    timeout: float,
    default: Literal["allow", "deny"] = "deny",
) -> tuple[str, str | None]:
    """Ask through the approval system; returns ``(decision, note)``.

    The timeout is enforced here (the kernel does not) and applies the
    default; ``note`` says so.
    """
    if approval_system is None:
        return default, "no approval system is attached: set a policy with %amplifier approve"
    try:
        choice = await asyncio.wait_for(
            approval_system.request_approval(prompt, options, timeout, default), timeout
        )
    except TimeoutError:
        return default, f"no answer within {timeout:g}s: {default} applied"
    except Exception as error:  # an approval UI that fails must not run the tool
        if type(error).__name__ == "ApprovalTimeoutError":
            return default, f"no answer within {timeout:g}s: {default} applied"
        return "deny", f"the approval prompt failed ({error}): denied"
    return str(choice), None
