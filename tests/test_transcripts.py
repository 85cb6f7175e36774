"""Transcripts: JSONL beside the notebook, flushed as they happen, secrets redacted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernel_harness import Kernel, offline_env

import amplifier_jupyter.redaction as redaction
from amplifier_jupyter.redaction import REDACTED, redact, redact_text
from amplifier_jupyter.transcripts.writer import SETTINGS, TranscriptWriter

SECRET = "s3cr3t-value-from-the-environment"
PLAN_REPLIES = ["First.", "Second.", "Third."]
PLAN = {
    "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
    "providers": [
        {
            "module": "provider-scripted",
            "config": {"script": PLAN_REPLIES, "api_key": "sk-plan-key"},
        }
    ],
}


# -- pure logic --------------------------------------------------------------


def test_redact_keys_key_shaped_strings_and_secret_environment_values(monkeypatch) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", SECRET)
    value = {
        "config": {"api_key": "abc", "Authorization": "Bearer x"},
        "text": f"key sk-ant-api03-{'a' * 30} and {SECRET} and ghp_{'b' * 36}",
        "list": ["Bearer abcdefghijklmnopqrstuv", 3, None],
    }
    cleaned = redact(value)
    assert cleaned["config"] == {"api_key": REDACTED, "Authorization": REDACTED}
    assert cleaned["text"] == f"key {REDACTED} and {REDACTED} and {REDACTED}"
    assert cleaned["list"] == [REDACTED, 3, None]
    # Ordinary words and token counts stay.
    assert redact({"input_tokens": 12, "text": "tokens are fine"}) == {
        "input_tokens": 12,
        "text": "tokens are fine",
    }


def test_redact_secret_keys_beyond_the_kernels_exact_list() -> None:
    # amplifier-core's redact_secrets knows only exact names such as api_key and token.
    config = {
        "auth_token": "tok-plain-12345678",
        "access_token": "short",
        "clientSecret": "cs-1",
        "anthropic_api_key": "plain",
        "headers": {"x-api-key": "hdr-secret", "X-Request-Id": "req-1"},
        "max_tokens": 1024,
        "model": "claude-sonnet-5-5",
    }
    assert redact({"config": config})["config"] == {
        "auth_token": REDACTED,
        "access_token": REDACTED,
        "clientSecret": REDACTED,
        "anthropic_api_key": REDACTED,
        "headers": {"x-api-key": REDACTED, "X-Request-Id": "req-1"},
        "max_tokens": 1024,
        "model": "claude-sonnet-5-5",
    }


def test_redact_text_hides_the_quoted_values_of_secret_named_keys() -> None:
    # As an error quoting a config has them; the key and its quotes stay readable.
    text = (
        "no use for {'token': 'plain', 'model': 'm'}; \"x-api-key\": \"hdr\", "
        "password='pw', clientSecret = \"cs\", max_tokens: '5', tokens='many'"
    )
    assert redact_text(text) == (
        f"no use for {{'token': '{REDACTED}', 'model': 'm'}}; \"x-api-key\": \"{REDACTED}\", "
        f"password='{REDACTED}', clientSecret = \"{REDACTED}\", max_tokens: '5', tokens='many'"
    )
    long_word = "a" * 200_000  # linear time: no backtracking over a long word
    assert redact_text(long_word + ": 'x'") == long_word + ": 'x'"


def test_the_environment_is_read_again_only_when_it_has_changed(monkeypatch) -> None:
    reads: list[tuple[str, ...]] = []
    read = redaction._read_secret_env_values

    def counted() -> tuple[str, ...]:
        reads.append(read())
        return reads[-1]

    monkeypatch.setattr(redaction, "_read_secret_env_values", counted)
    monkeypatch.setenv("LATE_API_KEY", "first-late-value")
    for _ in range(20):  # as for every event of a run, streamed deltas included
        assert redact({"text": "say first-late-value"}) == {"text": f"say {REDACTED}"}
    assert len(reads) == 1
    # Changed, added or removed after the first read: redacted as the environment is now.
    monkeypatch.setenv("LATE_API_KEY", "second-late-value")
    assert redact_text("first-late-value second-late-value") == f"first-late-value {REDACTED}"
    monkeypatch.setenv("OTHER_SECRET", "other-late-value")
    assert redact_text("other-late-value") == REDACTED
    monkeypatch.delenv("OTHER_SECRET")
    assert redact_text("other-late-value") == "other-late-value"
    assert len(reads) == 4


@pytest.fixture
def writing(monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(SETTINGS, "choice", True)
    yield


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_messages_are_appended_and_rewritten_when_the_conversation_is_set_back(
    tmp_path: Path, writing: None
) -> None:
    writer = TranscriptWriter("s1", plan=PLAN, root=tmp_path)
    writer.start()
    one = {"role": "user", "content": "a"}
    two = {"role": "assistant", "content": "b"}
    writer.messages([one])
    writer.messages([one, two])
    folder = tmp_path / ".amplifier" / "sessions" / "s1"
    assert read_lines(folder / "messages.jsonl") == [one, two]
    writer.messages([one])  # e.g. an edit-and-rerun took the last turn back
    assert read_lines(folder / "messages.jsonl") == [one]
    writer.end()
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["state"] == "ended" and metadata["turns"] == 1
    assert metadata["plan"]["providers"][0]["config"]["api_key"] == REDACTED
    assert (tmp_path / ".amplifier" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_nothing_is_written_when_off(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(SETTINGS, "choice", False)
    writer = TranscriptWriter("s2", root=tmp_path)
    writer.start()
    writer.event("session:start", {})
    writer.messages([{"role": "user", "content": "a"}])
    assert not (tmp_path / ".amplifier").exists()


# -- in a kernel ---------------------------------------------------------------


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Kernel, Path]]:
    folder = tmp_path_factory.mktemp("notebook")
    with Kernel(env=offline_env(MY_SERVICE_TOKEN=SECRET), cwd=str(folder)) as kernel:
        result = kernel.execute(
            f"%load_ext amplifier_jupyter\nplan = {PLAN!r}\n%amplifier config plan\n"
            "from amplifier_jupyter.session.kernel import kernel_session\nks = kernel_session()"
        )
        assert result.ok, result.error
        yield kernel, folder


def start_over(kernel: Kernel, turns: int = 0) -> None:
    """A fresh session of the plan, transcripts on, and its first ``turns`` runs done
    (each test builds what it checks, so it runs alone or in any order)."""
    assert "transcripts are on" in kernel.execute("%amplifier transcripts on").stdout
    assert "plan set" in kernel.execute("%amplifier config plan").stdout
    for turn, answer in enumerate(PLAN_REPLIES[:turns]):
        assert kernel.execute(f"%%amplifier\nturn {turn}").markdown == [answer]


def session_folder(kernel: Kernel, folder: Path) -> Path:
    session_id = kernel.execute("print(ks.session.session_id)").stdout.strip()
    return folder / ".amplifier" / "sessions" / session_id


def test_a_run_is_on_disk_before_the_session_ends(notebook) -> None:
    kernel, folder = notebook
    start_over(kernel)
    result = kernel.execute(f"%%amplifier\nremember {SECRET} and sk-ant-api03-{'z' * 24}")
    assert result.markdown == ["First."], result.stdout + result.stderr
    where = session_folder(kernel, folder)
    # Read while the session is still live: lines are flushed as they happen.
    messages = read_lines(where / "messages.jsonl")
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[0]["content"] == f"remember {REDACTED} and {REDACTED}"
    events = read_lines(where / "events.jsonl")
    names = [e["event"] for e in events]
    for expected in ("session:start", "prompt:submit", "provider:request", "provider:response"):
        assert expected in names
    assert names.index("session:start") < names.index("provider:response")
    text = (where / "events.jsonl").read_text() + (where / "metadata.json").read_text()
    assert SECRET not in text and "sk-plan-key" not in text and "zzzzzzzzzz" not in text
    assert json.loads((where / "metadata.json").read_text())["state"] == "live"
    assert (folder / ".amplifier" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_transcripts_off_stops_writing_and_on_catches_up(notebook) -> None:
    kernel, folder = notebook
    start_over(kernel, turns=1)
    where = session_folder(kernel, folder)
    before = len(read_lines(where / "events.jsonl"))
    off = kernel.execute("%amplifier transcripts off")
    assert "transcripts are off" in off.stdout
    assert kernel.execute("%%amplifier\nsecond").markdown == ["Second."]
    assert len(read_lines(where / "events.jsonl")) == before
    assert len(read_lines(where / "messages.jsonl")) == 2
    assert "transcripts are on" in kernel.execute("%amplifier transcripts on").stdout
    assert kernel.execute("%%amplifier\nthird").markdown == ["Third."]
    # The conversation file catches up with the turn written while off.
    assert len(read_lines(where / "messages.jsonl")) == 6
    assert len(read_lines(where / "events.jsonl")) > before


def test_save_exports_markdown_json_and_jsonl(notebook) -> None:
    kernel, folder = notebook
    start_over(kernel, turns=3)
    for name in ("out.md", "out.json", "out.jsonl"):
        result = kernel.execute(f"%amplifier save {name}")
        assert "saved 6 messages" in result.stdout, result.stderr
    markdown = (folder / "out.md").read_text()
    assert "## user" in markdown and "Third." in markdown and SECRET not in markdown
    exported = json.loads((folder / "out.json").read_text())
    assert len(exported["messages"]) == 6 and exported["events"]
    assert len(read_lines(folder / "out.jsonl")) == 6
    bad = kernel.execute("%amplifier save out.txt")
    assert "save to a .md, .json or .jsonl file" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_reset_records_session_end(notebook) -> None:
    kernel, folder = notebook
    start_over(kernel, turns=1)
    where = session_folder(kernel, folder)
    kernel.execute("%amplifier reset")
    assert read_lines(where / "events.jsonl")[-1]["event"] == "session:end"
    assert json.loads((where / "metadata.json").read_text())["state"] == "ended"


def test_a_secret_set_with_env_after_the_session_started_is_redacted(notebook) -> None:
    kernel, folder = notebook
    assert kernel.execute("%%amplifier\nhello").ok  # a new session (after the reset), started
    late, changed = "late-secret-set-in-a-cell", "new-value-of-the-same-token"
    assert kernel.execute(f"%env LATE_API_KEY={late}\n%env MY_SERVICE_TOKEN={changed}").ok
    try:
        assert kernel.execute(f"%%amplifier\nremember {late} and {changed}").ok
        where = session_folder(kernel, folder)
        messages = read_lines(where / "messages.jsonl")
        prompts = [m["content"] for m in messages if m["role"] == "user"]
        assert prompts[-1] == f"remember {REDACTED} and {REDACTED}"
        written = (where / "messages.jsonl").read_text() + (where / "events.jsonl").read_text()
        assert late not in written and changed not in written
    finally:
        # The module's kernel is shared: the next test expects the environment it began with.
        restored = kernel.execute(
            f"import os\nos.environ.pop('LATE_API_KEY', None)\n%env MY_SERVICE_TOKEN={SECRET}"
        )
        assert restored.ok, restored.error


# -- what is shown -------------------------------------------------------------

INLINE_KEY = "sk-ant-api03-" + "k" * 32
# Not shaped like a key: only the name of its key says it is a secret.
PLAIN_SECRET = "hunter2-plain-but-secret"
GIT_TOKEN = "ghp_" + "g" * 36
LEAKY_MODULE = (
    "async def mount(coordinator, config=None):\n    raise ValueError(f'no use for {config}')\n"
)


def test_secrets_in_a_plan_are_never_shown_but_the_provider_uses_them(
    tmp_path: Path, fake_anthropic
) -> None:
    from widget_comms import Widgets, execute

    leaky = tmp_path / "leaky" / "amplifier_module_tool_leaky"
    leaky.mkdir(parents=True)
    (leaky / "__init__.py").write_text(LEAKY_MODULE)
    # The key is in no cell: it comes from a YAML file.
    (tmp_path / "plan.yaml").write_text(
        "session: {orchestrator: loop-notebook, context: context-notebook}\n"
        "providers:\n  - module: provider-claude\n"
        f"    config: {{api_key: {INLINE_KEY}, base_url: '{fake_anthropic.url}',"
        f" client_secret: {PLAIN_SECRET}}}\n"
        f"tools:\n  - {{module: tool-leaky, source: leaky, config: {{token: {PLAIN_SECRET}}}}}\n"
    )
    shown: list[str] = []

    def run(kernel: Kernel, code: str, widgets: Widgets | None = None) -> str:
        result = execute(kernel, code, widgets.feed if widgets else None)
        assert result.ok, (code, result.error)
        text = result.stdout + result.stderr + "".join(result.markdown)
        shown.append(text)
        return text

    with Kernel(env=offline_env(), cwd=str(tmp_path)) as kernel:
        run(kernel, "%load_ext amplifier_jupyter")
        assert "plan set" in run(kernel, "%amplifier config plan.yaml")
        plan = run(kernel, "%amplifier config")
        assert f'"api_key": "{REDACTED}"' in plan and f'"token": "{REDACTED}"' in plan
        assert fake_anthropic.url in plan  # only the secrets go
        widgets = Widgets()
        answer = run(kernel, "%%amplifier\nhi", widgets)
        assert "tool-leaky did not load: no use for {'token': " in answer
        # The plan kept the key: the provider sent it.
        headers = fake_anthropic.requests[-1].headers
        assert INLINE_KEY in headers.get("x-api-key", "") + headers.get("authorization", "")
        for command in ("status", "sessions", "sessions --all", "modules"):
            run(kernel, f"%amplifier {command}")
        # The same plan from a variable, with a token in a module's source.
        run(
            kernel,
            "import yaml\nplan = yaml.safe_load(open('plan.yaml'))\n"
            f"plan['tools'] = [{{'module': 'tool-remote', 'source': "
            f"'git+https://{GIT_TOKEN}@github.com/o/r@v1'}}]\n%amplifier config plan",
        )
        run(kernel, "%amplifier config")
        assert "github.com/o/r@v1" in run(kernel, "%amplifier modules")
        # Errors that quote a plan or a module's config: in the cell and in the panel.
        bad = (
            '%amplifier config {"session": {"orchestrator": "loop-notebook", "context": '
            '"context-notebook"}, "providers": [{"module": "provider-claude", "config": '
            f'[{{"api_key": "{PLAIN_SECRET}"}}]}}]}}'
        )
        assert "providers[0].config must be a dict" in run(kernel, bad)
        (tmp_path / "broken.yaml").write_text(
            f"providers:\n  - config: {{password: {PLAIN_SECRET}, m: 'x}}\n"
        )
        assert "broken.yaml is not valid YAML: " in run(kernel, "%amplifier config broken.yaml")
        run(
            kernel,
            "plan['session']['context'] = {'module': 'tool-leaky', 'source': 'leaky', "
            f"'config': {{'password': '{PLAIN_SECRET}'}}}}\n%amplifier config plan",
        )
        failed = Widgets()
        assert "the session could not start" in run(kernel, "%%amplifier\nhi", failed)
    # Everything the panels showed: their traits, streamed answers and the summaries left.
    panels: list[str] = []
    for widgets_seen in (widgets, failed):
        for state in widgets_seen.states.values():
            panels += [str(value) for value in state.values()]
        for bundle in widgets_seen.summaries.values():
            panels += [str(value) for value in bundle.values()]
        panels += list(widgets_seen.answers.values())
    assert any("could not start" in panel for panel in panels)
    everything = "\n".join(shown + panels)
    for secret in (INLINE_KEY, PLAIN_SECRET, GIT_TOKEN):
        assert secret[-12:] not in everything, secret  # not even the end of one cut off
