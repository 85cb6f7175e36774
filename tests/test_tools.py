"""The notebook tools in a real kernel: python, notebook, variables; what the model reads back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from amplifier_core import ToolResult
from kernel_harness import Kernel

from amplifier_jupyter.modules.loop_notebook import ApprovalPolicy
from amplifier_jupyter.modules.tool_notebook import NotebookTool
from amplifier_jupyter.modules.tool_python import PythonTool
from amplifier_jupyter.modules.tool_variables import VariablesTool

TOOLS = ["tool-python", "tool-notebook", "tool-variables"]
KS = "from amplifier_jupyter import get_kernel_session as _ks\n"


def run_with_script(kernel: Kernel, replies: list[Any], prompt: str = "Go.") -> Any:
    """Set a scripted plan with the notebook tools, allow python, run one prompt."""
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [{"module": "provider-scripted", "config": {"script": replies}}],
        "tools": [{"module": m} for m in TOOLS],
    }
    setup = kernel.execute(
        f"_plan = {plan!r}\n%amplifier config _plan\n" + KS + "from amplifier_jupyter.modules."
        "loop_notebook import ApprovalPolicy as _AP\n"
        "_k = _ks(); _k.policy = _k.policy or _AP(); _k.policy.set('allow', ['python'])"
    )
    assert setup.ok, setup.error
    return kernel.execute(f"%%amplifier\n{prompt}")


def tool_results(kernel: Kernel) -> list[str]:
    """What the model read back from each tool, from the provider's last request."""
    result = kernel.execute(
        KS + "_p = _ks().session.coordinator.get('providers')['scripted']\n"
        "import json as _json\n"
        "print(_json.dumps([m.content if isinstance(m.content, str) else str(m.content) "
        "for m in _p.requests[-1].messages if m.role == 'tool']))"
    )
    assert result.ok, result.error
    return json.loads(result.stdout)


def call(tool: str, /, **tool_input: Any) -> dict[str, Any]:
    return {"tool_calls": [{"name": tool, "input": tool_input}]}


def test_python_runs_in_the_users_namespace_and_its_output_shows_in_the_cell(
    kernel: Kernel,
) -> None:
    kernel.execute("base = 20")
    code = "print('computing')\nanswer = base * 2 + 2\nanswer"
    result = run_with_script(kernel, [call("python", code=code), "It is 42."])
    assert result.ok and result.markdown[-1] == "It is 42.", result.error
    assert "computing" in result.stdout  # printed into the cell too
    shown = [
        m["content"]["data"]["text/plain"]
        for m in result.messages
        if m["msg_type"] == "execute_result"
    ]
    assert shown == ["42"]  # the value is displayed in the cell, as a cell would
    (reply,) = tool_results(kernel)
    assert reply == "printed:\ncomputing\n\nOut:\n42"
    assert kernel.execute("print(answer)").stdout == "42\n"  # the state stays


def test_python_reports_the_exception_and_the_run_goes_on(kernel: Kernel) -> None:
    code = "def f(x):\n    return 1 / x\nprint('before')\nf(0)"
    result = run_with_script(kernel, [call("python", code=code), "Division by zero."])
    assert result.ok and result.markdown[-1] == "Division by zero."
    (reply,) = tool_results(kernel)
    assert reply.startswith("Error: printed:\nbefore\n\nTraceback (most recent call last):")
    assert "return 1 / x" in reply and reply.endswith("ZeroDivisionError: division by zero")
    assert "interactiveshell" not in reply


def test_python_sends_displays_and_syntax_errors_back(kernel: Kernel) -> None:
    display = "from IPython.display import display, HTML\ndisplay(HTML('<b>bold</b>'))"
    result = run_with_script(
        kernel, [call("python", code=display), call("python", code="x = ("), "Done."]
    )
    html = [
        m["content"]["data"]["text/html"]
        for m in result.messages
        if m["msg_type"] == "display_data" and "text/html" in m["content"]["data"]
    ]
    assert html == ["<b>bold</b>"]
    shown, syntax = tool_results(kernel)
    assert shown == "(ran; printed nothing and returned no value)"
    assert syntax.startswith("Error: ") and "SyntaxError" in syntax


def test_variables_lists_and_inspects_bounded(kernel: Kernel) -> None:
    pytest.importorskip("pandas")
    kernel.execute(
        "import pandas as pd\n"
        "sales = pd.DataFrame({'city': ['Oslo'] * 1000, 'amount': range(1000)})\n"
        "notes = 'n' * 50_000"
    )
    run_with_script(
        kernel,
        [call("variables"), call("variables", name="sales"), call("variables", name="notes"),
         call("variables", name="sales.nope"), "Seen."],
    )  # fmt: skip
    listing, sales, notes, missing = tool_results(kernel)
    assert "sales: DataFrame 1000×2" in listing.splitlines()
    assert "pd:" not in listing and "In:" not in listing
    assert sales.startswith("sales (DataFrame 1000×2):\npandas DataFrame: 1,000 rows × 2 columns")
    assert len(notes) <= 4_000 + len("notes (str of 50,000 chars):\n")
    assert missing == "Error: sales.nope: DataFrame has no attribute 'nope'"


def test_notebook_lists_and_reads_cells(kernel: Kernel) -> None:
    first = kernel.execute("print('listed cell')").reply["content"]["execution_count"]
    kernel.execute("[1, 2, 3]")
    kernel.execute("raise ValueError('bad value')")
    replies = [call("notebook"), call("notebook", action="read", cells=f"{first}-{first + 2}")]
    run_with_script(kernel, [*replies, "Read."])
    listing, cells = tool_results(kernel)
    lines = listing.splitlines()
    assert f"[{first}] print('listed cell')" in lines
    assert f"[{first + 1}] [1, 2, 3]  -> list of 3" in lines
    assert f"[{first + 2}] raise ValueError('bad value')  !! ValueError" in lines
    assert "printed output:\nlisted cell" in cells and f"Out [{first + 1}]:\n[1, 2, 3]" in cells
    assert "ValueError: bad value" in cells


def test_interrupting_the_kernel_stops_the_code_and_the_agent(kernel: Kernel) -> None:
    pytest.importorskip("amplifier_jupyter.interrupts")  # the host's interrupt guard
    code = "import time\nprint('sleeping', flush=True)\ntime.sleep(60)\nprint('woke')"
    interrupted = []

    def on_message(message: dict[str, Any]) -> None:
        content = message["content"]
        sleeping = message["msg_type"] == "stream" and "sleeping" in content.get("text", "")
        if sleeping and not interrupted:
            interrupted.append(True)
            kernel.manager.interrupt_kernel()

    run_with_script(kernel, ["warm-up"])  # the plan and policy; the session exists
    kernel.execute(
        KS + "_k = _ks(); _p = _k.session.coordinator.get('providers')['scripted']\n"
        f"_p.script = [{{'text': '', 'thinking': None, 'tool_calls': [{{'id': 't1', "
        f"'name': 'python', 'input': {{'code': {code!r}}}}}]}}, "
        "{'text': 'never', 'thinking': None, 'tool_calls': []}]; _p.calls = 0"
    )
    result = kernel.execute("%%amplifier\nSleep.", on_message=on_message)
    assert interrupted and result.ok, result.error
    assert "woke" not in result.stdout
    # Nothing was sent after the stop: the tool's result is in the conversation.
    messages = kernel.execute(
        "print([m['content'] for m in await _ks().messages() if m['role'] == 'tool'])"
    )
    assert "KeyboardInterrupt: the user interrupted the code" in messages.stdout
    # The agent was asked to stop: the scripted second reply was never requested.
    calls = kernel.execute("print(_p.calls)")
    assert calls.stdout.strip() == "1"
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
