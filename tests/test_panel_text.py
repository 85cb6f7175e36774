"""Without widgets (terminal IPython): the answer streams as text, approvals are typed."""

from __future__ import annotations

import json
import subprocess
import sys

from kernel_harness import offline_env
from widget_comms import TOOLS_SOURCE


def echo_call(text: str) -> dict:
    return {"text": "Let me echo.", "tool_calls": [{"name": "echo", "input": {"text": text}}]}


def test_terminal_ipython_streams_text_and_asks_on_stdin(tmp_path) -> None:
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [
            {
                "module": "provider-scripted",
                "config": {"script": [echo_call("hi"), "Echoed.", echo_call("bye"), "Refused."]},
            }
        ],
        "tools": [{"module": "tool-echo", "source": TOOLS_SOURCE}],
    }
    # One line per input: the terminal's simple prompt reads a cell per line, so the
    # %%amplifier cells are run with run_cell; the typed answers follow each.
    lines = [
        "%load_ext amplifier_jupyter",
        f"%amplifier config {json.dumps(plan)}",
        'get_ipython().run_cell("%%amplifier\\nPlease echo hi.")',
        "1",
        'get_ipython().run_cell("%%amplifier\\nPlease echo bye.")',
        "deny",
        "import amplifier_module_tool_echo as t; print('calls:', t.CALLS, 'answer:', _amplifier)",
        "exit",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "IPython", "--simple-prompt", "--no-banner", "--colors=nocolor"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=offline_env(),
        cwd=tmp_path,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in out + done.stderr
    # The question names the tool and its input, with Amplifier's options numbered.
    assert 'amplifier: echo wants to run: {"text": "hi"}' in out
    assert "[1] Allow once  [2] Allow always  [3] Deny" in out
    assert "deny in 120 s if no answer" in out
    # Allowed: it ran and the model's answer streamed; denied: it did not run.
    assert "✓ echo: Allow once" in out and '⚙ echo {"text": "hi"} → echo: hi' in out
    assert "Let me echo." in out and "Echoed." in out
    assert "✗ echo: the user denied it" in out and "Refused." in out
    assert "calls: [('echo', {'text': 'hi'})] answer: Refused." in out
