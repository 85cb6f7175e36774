"""Common first-day mistakes each get one line, once, naming the key or the likely intent
(issue 17 item 5), in a real kernel; the session survives every one of them."""

from __future__ import annotations

import pytest
from kernel_harness import Kernel

from amplifier_jupyter.modules._config_values import ConfigError, flag, seconds, whole_number
from amplifier_jupyter.modules.hooks_notebook_approval._policy import ApprovalPolicy

PLAN = (
    "from amplifier_jupyter.session.plans import scripted_plan\n"
    "plan = scripted_plan(['Fine.', 'Fine again.'])\n"
)


def set_plan(kernel: Kernel, change: str) -> None:
    result = kernel.execute(PLAN + change + "\n%amplifier config plan")
    assert result.ok and "plan set" in result.stdout, result.stdout + result.stderr


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_an_unknown_provider_is_one_line_once_with_what_to_do(kernel: Kernel) -> None:
    set_plan(kernel, "plan['providers'][0]['module'] = 'provider-claud'")
    result = kernel.execute("%%amplifier\nhello")
    assert result.ok and result.stdout == ""
    (line,) = lines(result.stderr)
    assert "provider-claud" in line and "did you mean provider-claude?" in line
    assert "%amplifier install" in line
    set_plan(kernel, "")
    assert kernel.execute("%%amplifier\nhello").markdown == ["Fine."]


def test_an_unknown_tool_is_a_warning_line_and_the_run_goes_on(kernel: Kernel) -> None:
    set_plan(kernel, "plan['tools'].append({'module': 'tool-nope'})")
    result = kernel.execute("%%amplifier\nhello")
    assert result.markdown == ["Fine."]
    assert "tool-nope" not in result.stdout
    (line,) = lines(result.stderr)
    assert line.startswith("amplifier: tool-nope did not load: module 'tool-nope' is not")
    assert "this kernel has: tool-notebook, tool-notebook-edit, tool-python, tool-variables" in line
    assert line.endswith("(the run went on without it)")
    # Said once: the next cell of the same session says nothing more.
    again = kernel.execute("%%amplifier\nagain")
    assert again.markdown == ["Fine again."] and again.stderr == ""


def test_a_misspelled_option_gets_did_you_mean(kernel: Kernel) -> None:
    result = kernel.execute("%%amplifier --modle claude-haiku-4-5\nhello")
    (line,) = lines(result.stderr)
    assert "unrecognized arguments: --modle claude-haiku-4-5 (did you mean --model?)" in line


def test_a_misspelled_variable_gets_did_you_mean(kernel: Kernel) -> None:
    set_plan(kernel, "")
    kernel.execute("df = 1")
    result = kernel.execute("%%amplifier\nWhat is {dff}?")
    assert "left as written (no such variable): {dff} (did you mean {df}?)" in result.stdout


def test_a_module_config_of_the_wrong_type_names_the_key(kernel: Kernel) -> None:
    set_plan(kernel, "plan['tools'] = [{'module': 'tool-python', 'config': {'max_output': 'big'}}]")
    result = kernel.execute("%%amplifier\nhello")
    (line,) = lines(result.stderr)
    assert (
        "tool-python did not load: config max_output must be a whole number (e.g. " in line
        and "not 'big'" in line
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"tools": "yes"}, 'config tools must be a mapping, e.g. {"python": "ask"}, not \'yes\''),
        ({"tools": {"python": "maybe"}}, "config tools.python must be ask, allow or deny"),
        ({"timeout": "soon"}, "config timeout must be a number of seconds"),
        ({"default": "yes"}, "config default must be auto, ask, allow or deny, not 'yes'"),
    ],
)
def test_the_approval_hook_s_config_names_the_key(config: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("{", r"\{")):
        ApprovalPolicy.from_config(config)


def test_config_readers() -> None:
    assert whole_number({"n": "12"}, "n", 5) == 12 and whole_number({}, "n", 5) == 5
    for bad in ("big", 2.5, True, None, [1], -1):
        with pytest.raises(ConfigError, match="config n must be a whole number"):
            whole_number({"n": bad}, "n", 5)
    assert seconds({"s": "1.5"}, "s", 0) == 1.5
    with pytest.raises(ConfigError, match="config s must be a number of seconds"):
        seconds({"s": float("nan")}, "s", 0)
    assert flag({"f": "no"}, "f", True) is False and flag({}, "f", True) is True
    with pytest.raises(ConfigError, match="config f must be true or false, not 'maybe'"):
        flag({"f": "maybe"}, "f", True)
