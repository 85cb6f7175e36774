"""A hung API under the default plan's provider, in a real kernel: the panel's status says
what the call waits for while it waits, and the last try ends in one line."""

from __future__ import annotations

import html
import re

from fake_anthropic import FakeAnthropic, silent_reply
from kernel_harness import Kernel
from widget_comms import Widgets, execute

WAIT = 4  # seconds the API may take to start answering, in this test


def test_the_status_says_what_the_call_waits_for_and_the_last_try_says_why(
    fake_kernel: Kernel, fake: FakeAnthropic
) -> None:
    fake.reset()
    fake.enqueue(silent_reply(), silent_reply())  # an hour of nothing, each
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [
            {
                "module": "provider-claude",
                "config": {"first_byte_timeout": WAIT, "max_retries": 1, "retry_base_delay": 0.01},
            }
        ],
        "tools": [],
    }
    assert "plan set" in fake_kernel.execute(f"_plan = {plan!r}\n%amplifier config _plan").stdout
    widgets = Widgets()
    result = execute(fake_kernel, "%%amplifier\nAre you there?", widgets.feed)
    assert result.ok and len(fake.requests) == 2
    expected = (
        f"The Anthropic API sent nothing for {WAIT} s (after 2 tries): try again, "
        'or raise "first_byte_timeout" in the provider config.'
    )
    assert result.stderr.strip() == f"amplifier: {expected}"
    panel = widgets.panel()
    shown = [
        html.unescape(u.state["status_html"])
        for u in widgets.updates
        if u.comm_id == panel and "status_html" in u.state
    ]
    # The retry is said as it happens; then the status ticks on with it, second by second.
    retrying = [
        int(m.group(1))
        for value in shown
        if (
            m := re.search(
                rf"waiting for the model · (\d+) s · retry 1 of 1 after {WAIT} s with no answer",
                value,
            )
        )
    ]
    assert retrying[0] == 0 and max(retrying) >= 1, shown
    final = html.unescape(widgets.status())
    assert "Failed after" in final and expected in final
