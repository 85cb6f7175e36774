"""The answer on the wire: appended chunks, each character once; a retried stream starts
afresh. provider-claude over HTTP to the fake Messages API, in a real kernel."""

from __future__ import annotations

from fake_anthropic import FakeAnthropic, Reply
from kernel_harness import Kernel
from widget_comms import Widgets, execute

PLAN = """
_plan = {
    "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
    "providers": [{"module": "provider-claude",
                   "config": {"retry_base_delay": 0.001, "max_retries": 3}}],
    "tools": [],
}
%amplifier config _plan
"""


def slow_cut(text: str, after: int) -> Reply:
    """A cut stream slow enough (60 ms an event) that the panel's widget is open before
    the cut (ui/panel.py OPEN_AFTER), so its text is seen on its way."""
    return Reply.from_spec({"text": text, "cut_after": after, "chunk_delay": 0.06})


def run_cut_streams(
    kernel: Kernel, fake: FakeAnthropic, cuts: list[str], whole: str, after: int, max_retries: int
) -> Widgets:
    """One cell whose streams are cut (each after ``after`` events) until ``whole`` gets
    through: it answers ``whole``, after one request per try; its panel's messages."""
    fake.reset()
    fake.enqueue(*(slow_cut(text, after=after) for text in cuts), whole)
    plan = PLAN.replace('"max_retries": 3', f'"max_retries": {max_retries}')
    assert "plan set" in kernel.execute(plan).stdout
    widgets = Widgets()
    result = execute(kernel, "%%amplifier\nSay it.", widgets.feed)
    assert result.ok and result.markdown == [whole], (result.stdout, result.stderr)
    assert len(fake.requests) == len(cuts) + 1
    return widgets


def test_a_cut_stream_is_retried_and_its_answer_starts_afresh(
    fake_kernel: Kernel, fake: FakeAnthropic
) -> None:
    first = "This first try gets cut off somewhere in the middle of its words."
    whole = "The second try says everything, once."
    widgets = run_cut_streams(fake_kernel, fake, [first], whole, after=6, max_retries=3)
    # The cut try's text was on its way (a few words of it), then the retry replaced it:
    # the answer ends as the second try's, with nothing of the first left in it.
    streamed = widgets.streamed()
    cut = [s for s in streamed if s and first.startswith(s)]
    assert cut, streamed
    assert any(c.message.get("reset") for c in widgets.chunks)
    assert widgets.answer() == whole
    assert "retry 1 of 3 (stream cut)" in widgets.timeline()


def test_a_stream_cut_twice_says_retry_2_of_4_and_keeps_only_the_last_try(
    fake_kernel: Kernel, fake: FakeAnthropic
) -> None:
    cuts = ["One try that breaks off early on.", "Another try that also breaks off."]
    whole = "The third try gets through."
    widgets = run_cut_streams(fake_kernel, fake, cuts, whole, after=7, max_retries=4)
    # The cut tries' text was on its way, then replaced: never shown before the answer.
    streamed = widgets.streamed()
    assert any(s and cuts[0].startswith(s) for s in streamed), streamed
    assert any(c.message.get("reset") for c in widgets.chunks)
    # Every state shown is one try's text so far: no try's text beside another's.
    assert all(any(t.startswith(s) for t in (*cuts, whole)) for s in streamed), streamed
    assert widgets.answer() == whole
    timeline = widgets.timeline()
    assert "retry 1 of 4 (stream cut)" in timeline and "retry 2 of 4 (stream cut)" in timeline
