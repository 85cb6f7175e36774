"""The notebook tools in a real kernel: python, notebook, variables; what reaches the API."""

from __future__ import annotations

from typing import Any

import pytest
from amplifier_core import ToolResult
from fake_anthropic import FakeAnthropic, tool_reply
from kernel_harness import Kernel

from amplifier_jupyter.modules.hooks_notebook_approval import ApprovalPolicy
from amplifier_jupyter.modules.tool_notebook import NotebookTool
from amplifier_jupyter.modules.tool_python import PythonTool
from amplifier_jupyter.modules.tool_variables import VariablesTool

KS = "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
ALLOW_PYTHON = "import amplifier_jupyter as _aj\n_aj.approval_policy().set('allow', ['python'])"


@pytest.fixture(scope="module")
def kernel(fake_kernel: Kernel) -> Kernel:
    """A kernel with the default plan (provider-claude -> the fake, the notebook tools);
    python is allowed without asking, as a user's "Allow always" would."""
    assert fake_kernel.execute(ALLOW_PYTHON).ok
    return fake_kernel


def run(kernel: Kernel, fake: FakeAnthropic, *replies: Any, prompt: str = "Go.") -> Any:
    """Run one prompt with these API replies queued (a fresh conversation)."""
    assert kernel.execute("%amplifier reset").ok
    fake.reset()
    fake.enqueue(*replies)
    return kernel.execute(f"%%amplifier\n{prompt}")


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content if b.get("type") == "text")


def tool_results(fake: FakeAnthropic) -> list[tuple[str, bool]]:
    """Each tool_result of the last request: (its text, is_error)."""
    found = []
    for message in fake.bodies[-1]["messages"]:
        if message["role"] != "user" or isinstance(message["content"], str):
            continue
        for block in message["content"]:
            if block.get("type") == "tool_result":
                found.append((text_of(block.get("content", "")), bool(block.get("is_error"))))
    return found


def test_the_tools_reach_the_api_with_their_schemas(kernel: Kernel, fake: FakeAnthropic) -> None:
    run(kernel, fake, "Hello.")
    tools = {t["name"]: t for t in fake.bodies[-1]["tools"]}
    assert sorted(tools) == [
        "notebook",
        "notebook_edit",
        "notebook_insert",
        "notebook_run",
        "python",
        "variables",
    ]
    assert tools["notebook_edit"]["input_schema"]["required"] == ["cell", "source"]
    assert tools["python"]["input_schema"]["required"] == ["code"]


def test_python_runs_in_the_users_namespace_and_its_output_shows_in_the_cell(
    kernel: Kernel, fake: FakeAnthropic
) -> None:
    kernel.execute("base = 20")
    code = "print('computing')\nanswer = base * 2 + 2\nanswer"
    result = run(kernel, fake, tool_reply("python", {"code": code}), "It is 42.")
    assert result.ok and result.markdown[-1] == "It is 42.", result.error
    assert "computing" in result.stdout  # printed into the cell too
    shown = [
        m["content"]["data"]["text/plain"]
        for m in result.messages
        if m["msg_type"] == "execute_result"
    ]
    assert shown == ["42"]  # the value is displayed in the cell, as a cell would
    assert tool_results(fake) == [("printed:\ncomputing\n\nOut:\n42", False)]
    assert kernel.execute("print(answer)").stdout == "42\n"  # the state stays


def test_python_reports_the_exception_and_the_run_goes_on(
    kernel: Kernel, fake: FakeAnthropic
) -> None:
    code = "def f(x):\n    return 1 / x\nprint('before')\nf(0)"
    result = run(kernel, fake, tool_reply("python", {"code": code}), "Division by zero.")
    assert result.ok and result.markdown[-1] == "Division by zero."
    ((reply, is_error),) = tool_results(fake)
    assert is_error or reply.startswith("Error: ")
    assert "printed:\nbefore\n\nTraceback (most recent call last):" in reply
    assert "return 1 / x" in reply and reply.endswith("ZeroDivisionError: division by zero")
    assert "interactiveshell" not in reply


def test_python_displays_in_the_cell_and_reports_syntax_errors(
    kernel: Kernel, fake: FakeAnthropic
) -> None:
    display = "from IPython.display import display, HTML\ndisplay(HTML('<b>bold</b>'))"
    result = run(
        kernel,
        fake,
        tool_reply("python", {"code": display}),
        tool_reply("python", {"code": "x = ("}),
        "Done.",
    )
    html = [
        m["content"]["data"]["text/html"]
        for m in result.messages
        if m["msg_type"] == "display_data" and "text/html" in m["content"]["data"]
    ]
    assert html == ["<b>bold</b>"]
    (shown, _), (syntax, _) = tool_results(fake)
    assert shown == "(ran; printed nothing and returned no value)"
    assert "SyntaxError" in syntax


def test_variables_lists_and_inspects_bounded(kernel: Kernel, fake: FakeAnthropic) -> None:
    pytest.importorskip("pandas")
    kernel.execute(
        "import pandas as pd\n"
        "sales = pd.DataFrame({'city': ['Oslo'] * 1000, 'amount': range(1000)})\n"
        "notes = 'n' * 50_000"
    )
    run(
        kernel,
        fake,
        tool_reply("variables", {}),
        tool_reply("variables", {"name": "sales"}),
        tool_reply("variables", {"name": "notes"}),
        tool_reply("variables", {"name": "sales.nope"}),
        "Seen.",
    )
    (listing, _), (sales, _), (notes, _), (missing, missing_error) = tool_results(fake)
    assert "sales: DataFrame 1000×2" in listing.splitlines()
    assert "pd:" not in listing and "In:" not in listing
    assert sales.startswith("sales (DataFrame 1000×2):\npandas DataFrame: 1,000 rows × 2 columns")
    assert len(notes) <= 4_000 + len("notes (str of 50,000 chars):\n")
    assert "sales.nope: DataFrame has no attribute 'nope'" in missing
    assert missing_error or missing.startswith("Error: ")


def test_notebook_lists_and_reads_cells(kernel: Kernel, fake: FakeAnthropic) -> None:
    first = kernel.execute("print('listed cell')").reply["content"]["execution_count"]
    kernel.execute("[1, 2, 3]")
    kernel.execute("raise ValueError('bad value')")
    run(
        kernel,
        fake,
        tool_reply("notebook", {}),
        tool_reply("notebook", {"action": "read", "cells": f"{first}-{first + 2}"}),
        "Read.",
    )
    (listing, _), (cells, _) = tool_results(fake)
    lines = listing.splitlines()
    assert f"[{first}] print('listed cell')" in lines
    assert f"[{first + 1}] [1, 2, 3]  -> list of 3" in lines
    assert f"[{first + 2}] raise ValueError('bad value')  !! ValueError" in lines
    assert "printed output:\nlisted cell" in cells and f"Out [{first + 1}]:\n[1, 2, 3]" in cells
    assert "ValueError: bad value" in cells


def test_interrupting_the_kernel_stops_the_code_and_the_agent(
    kernel: Kernel, fake: FakeAnthropic
) -> None:
    pytest.importorskip("amplifier_jupyter._ipython.interrupts")  # the host's interrupt guard
    code = "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\nprint('woke')"
    interrupted = []

    def on_message(message: dict[str, Any]) -> None:
        content = message["content"]
        sleeping = message["msg_type"] == "stream" and "sleeping" in content.get("text", "")
        if sleeping and not interrupted:
            interrupted.append(True)
            kernel.manager.interrupt_kernel()

    assert kernel.execute("%amplifier reset").ok
    fake.reset()
    fake.enqueue(tool_reply("python", {"code": code}), "never sent")
    result = kernel.execute("%%amplifier\nSleep.", on_message=on_message)
    assert interrupted and result.ok, result.error
    assert "woke" not in result.stdout
    assert len(fake.bodies) == 1  # the agent stopped: nothing was asked after the tool
    messages = kernel.execute(
        KS + "print([m['content'] for m in await _ks().messages() if m['role'] == 'tool'])"
    )
    assert "KeyboardInterrupt: the user interrupted the code" in messages.stdout
    after = kernel.execute("import time\ntime.sleep(0)\nprint('plain cells still run')")
    assert after.stdout == "plain cells still run\n"


# -- outside a notebook ---------------------------------------------------------------


class NoNotebook:
    """A coordinator without the notebook.shell capability (another host)."""

    def get_capability(self, name: str) -> Any:
        return None


@pytest.mark.parametrize("tool_class", [PythonTool, NotebookTool, VariablesTool])
async def test_without_a_notebook_the_tools_say_what_they_need(tool_class: type) -> None:
    tool = tool_class(NoNotebook(), {})
    result = await tool.execute({"code": "1"})
    assert isinstance(result, ToolResult) and not result.success
    assert "needs a Jupyter kernel" in result.error["message"]


def test_the_default_policy_asks_for_python_only() -> None:
    policy = ApprovalPolicy()
    assert policy.decide("python", PythonTool(NoNotebook(), {})) == "ask"
    assert policy.decide("notebook", NotebookTool(NoNotebook(), {})) == "allow"
    assert policy.decide("variables", VariablesTool(NoNotebook(), {})) == "allow"


def test_a_policy_from_an_orchestrator_config_names_tools() -> None:
    policy = ApprovalPolicy.from_config({"tools": {"python": "allow"}, "timeout": 5})
    assert policy.decide("python", PythonTool(NoNotebook(), {})) == "allow"
    assert policy.decide("other") == "ask" and policy.timeout == 5
