"""Amplifier's own modules, by id: what each is and where it is installed from.

Amplifier's modules live in public repositories named
``microsoft/amplifier-module-<id>`` (docs/design.md, fact 25), so a plan or
``%amplifier install`` may name one by its id alone. The list is data: add a
line to :data:`CATALOG` for a module this package should know.

``AMPLIFIER_JUPYTER_MODULE_SOURCE`` changes where they come from: a pip source
with ``{id}`` in it (default :data:`DEFAULT_SOURCE`; e.g. a commit or tag
instead of ``main`` to pin every one, or a mirror).
"""

from __future__ import annotations

import os

DEFAULT_SOURCE = "git+https://github.com/microsoft/amplifier-module-{id}@main"
SOURCE_VARIABLE = "AMPLIFIER_JUPYTER_MODULE_SOURCE"

# id -> what it is (one line). Ids with a built-in stand-in (loop-basic, loop-streaming,
# context-simple, provider-anthropic) are here too: `%amplifier install` gets the real one.
CATALOG: dict[str, str] = {
    "provider-anthropic": "Anthropic's Claude models (pins anthropic<2: refused here)",
    "provider-openai": "OpenAI's models",
    "provider-azure-openai": "OpenAI models on Azure",
    "provider-gemini": "Google's Gemini models",
    "provider-ollama": "local models served by Ollama",
    "provider-vllm": "models served by vLLM",
    "provider-litellm": "many providers through LiteLLM",
    "provider-chat-completions": "any OpenAI-compatible chat-completions endpoint",
    "provider-github-copilot": "models through GitHub Copilot",
    "provider-mock": "a mock provider for tests",
    "loop-basic": "the basic agent loop (no streaming)",
    "loop-streaming": "the streaming agent loop",
    "loop-events": "an agent loop driven by events",
    "context-simple": "the conversation in memory",
    "context-persistent": "the conversation kept on disk across sessions",
    "tool-bash": "shell commands",
    "tool-filesystem": "read_file, write_file, edit_file",
    "tool-search": "glob and grep",
    "tool-web": "web search and fetch",
    "tool-mcp": "tools of MCP servers",
    "tool-task": "sub-agent tasks",
    "tool-todo": "a todo list for the agent",
    "tool-skills": "skills loaded from files",
    "tool-exec": "running programs",
    "tool-slash-command": "slash commands",
    "hooks-approval": "approval questions before tool calls",
    "hooks-logging": "event logging",
    "hooks-redaction": "redacting secrets from events",
    "hooks-streaming-ui": "streaming output for a terminal UI",
    "hooks-status-context": "status information injected into the context",
    "hooks-todo-reminder": "todo reminders injected into the context",
}


def kind_of(module_id: str) -> str:
    """``provider``, ``tool``, ``loop`` ... (the id's part before the first dash)."""
    return module_id.split("-", 1)[0]


def catalog_source(module_id: str) -> str | None:
    """The pip source of Amplifier's own module ``module_id``, or None if it is not one."""
    if module_id not in CATALOG:
        return None
    template = os.environ.get(SOURCE_VARIABLE, "").strip() or DEFAULT_SOURCE
    return template.replace("{id}", module_id)


def looks_like_id(spec: str) -> bool:
    """Whether ``spec`` is a module id (``provider-openai``), not a path or a pip source."""
    if not spec or any(c in spec for c in "/: ") or "-" not in spec:
        return False
    return not os.path.exists(spec)  # a folder of that name is a path
