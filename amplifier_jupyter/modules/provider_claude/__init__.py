"""``provider-claude``: Anthropic's Claude through the official SDK, as an Amplifier provider.

Also serves plans that name the upstream ``provider-anthropic`` (the host maps
the id here and passes the plan's config as it is). Config keys, all optional::

    model          default "claude-sonnet-5-5" (alias: default_model); a
                   deprecated id works and warns once, ChatRequest.model
                   overrides it for one call (%%amplifier --model ID)
    api_key        else ANTHROPIC_API_KEY
    base_url       else ANTHROPIC_BASE_URL (read by the SDK)
    max_tokens     default min(32000, the model's maximum)
    temperature    sent only to models that accept sampling parameters
    connect_timeout     default 10: seconds to connect
    first_byte_timeout  default 30: seconds from sending the request to the
                   first byte of the answer
    idle_timeout   default 45: the longest silence in a stream (counted on the
                   bytes: the API pings about every 30 s while the model
                   thinks), and of a request body being sent
    timeout        seconds a non-streamed answer (stream: false) may take,
                   default first_byte_timeout plus max_tokens at a slow pace
                   (128,000 tokens an hour): 930 s for 32,000 tokens.
                   A ChatRequest.timeout bounds its call's first byte and
                   each silence (unstreamed: its whole answer)
    max_retries    default 3: 429, 529, 5xx, waits that ran out and cut
                   streams are retried with backoff (retry_base_delay, default
                   1 s, doubling up to max_retry_delay, default 60 s),
                   honouring retry-after; each retry is emitted as
                   provider:retry with attempt, max_retries and reason ("529",
                   "30 s with no answer", "45 s of silence", ...); after the
                   last try, one line names the wait and its key
    thinking       true, a budget (int) or {"budget_tokens": N, "display": ...}:
                   adaptive thinking on current models, a token budget on
                   older ones; false asks for as little as the model allows
    effort         low / medium / high / xhigh / max (output_config.effort)
    stream         default true: content_block:* events as tokens arrive
    delta_interval default 0.05: seconds over which the streamed tokens are
                   gathered into one content_block:delta (the first at once,
                   the rest at the block's end: nothing lost, nothing twice);
                   0 sends an event per token
    cache          default true: prompt caching on the system prompt and the
                   conversation tail
    max_cost_usd   spending cap for this provider instance (one session)
    stop_sequences

Upstream spellings (use_streaming, enable_prompt_caching, min_retry_delay,
reasoning_effort, ...) are accepted; other unknown keys are ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ._errors import NO_KEY_MESSAGE
from ._provider import OBSERVED_EVENTS, ClaudeProvider, ModelDeprecationWarning

__amplifier_module_type__ = "provider"
__all__ = ["NO_KEY_MESSAGE", "ClaudeProvider", "ModelDeprecationWarning", "mount"]


async def mount(
    coordinator: Any, config: dict[str, Any] | None = None
) -> Callable[[], Awaitable[None]]:
    """Mount the provider as ``claude``; return the cleanup that closes its HTTP client.

    Raises ``ConfigurationError`` for a bad value. Without an API key it mounts, and its
    first request raises ``amplifier_core.llm_errors.AuthenticationError`` with
    ``NO_KEY_MESSAGE``.
    """
    provider = ClaudeProvider(config or {}, coordinator=coordinator)
    await coordinator.mount("providers", provider, name=provider.name)
    if hasattr(coordinator, "register_contributor"):
        coordinator.register_contributor(
            "observability.events", "provider-claude", lambda: list(OBSERVED_EVENTS)
        )

    async def cleanup() -> None:
        await provider.close()

    return cleanup
