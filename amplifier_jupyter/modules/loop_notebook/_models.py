"""The ``Message`` models of a request, built once per message of a long conversation.

Every model call sends the whole conversation, and validating each message into an
amplifier-core ``Message`` again at every call made turn 1,000 of a session far
slower than turn 10. context-notebook hands out its messages themselves
(``snapshot_for_request``): the same, unchanged dict from one request to the next,
until the conversation is replaced. A model built from such a dict is kept, keyed
by the dict's identity (the dict is held, so its id is not reused), and only the
models of the messages of the latest request are kept. Copies, which every other
context manager hands out, are new dicts each time and get new models, as before.
A provider gets the same ``Message`` objects again and must not change them, as it
must not change any request it is given.
"""

from __future__ import annotations

from typing import Any

from amplifier_core import Message

from amplifier_jupyter.modules._per_message import PerMessage


class MessageModels:
    """``Message`` models of the messages of the latest request, by the dict's identity."""

    def __init__(self) -> None:
        self._built: PerMessage[Message] = PerMessage(lambda message: Message(**message))

    def of(self, messages: list[dict[str, Any]], reuse: bool) -> list[Message]:
        """A model per message; with ``reuse``, the one built before from the same dict."""
        if not reuse:
            self._built.forget()
            return [Message(**m) for m in messages]
        return self._built.of(messages)
