"""The magics in a real kernel: plans, one session across cells, status, reset, bad input."""

from __future__ import annotations

import json

from kernel_harness import Kernel, offline_env

# Each cell that uses the kernel's session names it itself: a test may run alone.
KS = "from amplifier_jupyter.session.kernel import kernel_session\n"
SCRIPTED = (
    'plan = {"session": {"orchestrator": "loop-notebook", "context": "context-notebook"},'
    ' "providers": [{"module": "provider-scripted", "config": {"script": SCRIPT}}]}\n'
)


def set_script(kernel: Kernel, *replies: str) -> None:
    script = json.dumps(list(replies))
    result = kernel.execute(f"SCRIPT = {script}\n{SCRIPTED}%amplifier config plan")
    assert result.ok, result.error
    assert "plan set" in result.stdout


def test_loading_is_light_and_registers_both_magics() -> None:
    # A kernel of its own: the module's shared kernel has run agents (in any order) already.
    with Kernel(env=offline_env()) as fresh:
        result = fresh.execute(
            "import sys\n%load_ext amplifier_jupyter\nm = get_ipython().magics_manager.magics\n"
            "print('amplifier' in m['line'], 'amplifier' in m['cell'],"
            " 'amplifier_core' in sys.modules)"
        )
    # Loading imports no amplifier_core (load time stays small); the warm-up does, between
    # cells (tests/test_warmup.py).
    assert result.stdout.split() == ["True", "True", "False"]


def test_the_conversation_continues_across_cells(kernel: Kernel) -> None:
    set_script(kernel, "Four.", "Still **four**.")
    first = kernel.execute("%%amplifier\nWhat is 2 + 2?")
    assert first.ok and first.markdown == ["Four."]
    assert first.stderr == ""
    second = kernel.execute("%%amplifier --out again\nAre you sure?")
    assert second.markdown == ["Still **four**."]
    check = kernel.execute(
        KS + "p = kernel_session().session.coordinator.get('providers')['scripted']\n"
        "print([m.role for m in p.requests[1].messages], _amplifier == 'Four.', again)"
    )
    assert check.ok, check.error
    assert check.stdout.strip() == "['user', 'assistant', 'user'] True Still **four**."


def test_status_names_the_session_modules_turns_and_tokens(kernel: Kernel) -> None:
    set_script(kernel, "One.")
    kernel.execute("%%amplifier\nhello")
    status = kernel.execute("%amplifier status").stdout
    lines = dict(line.split(None, 1) for line in status.strip().splitlines())
    assert len(lines["session"].strip()) == 36
    assert lines["parent"].strip() == "none"
    assert lines["orchestrator"].strip() == "loop-notebook (built-in)"
    assert lines["context"].strip() == "context-notebook (built-in)"
    assert "provider-scripted (built-in)" in lines["providers"]
    assert lines["turns"].strip() == "1"
    assert "in ·" in lines["tokens"] and "over 1 requests" in lines["tokens"]


def test_reset_starts_a_fresh_session(kernel: Kernel) -> None:
    set_script(kernel, "A.", "B.")
    kernel.execute("%%amplifier\nfirst")
    before = kernel.execute(KS + "print(kernel_session().session.session_id)").stdout
    reset = kernel.execute("%amplifier reset")
    assert "session ended" in reset.stdout
    assert "no session yet" in kernel.execute("%amplifier status").stdout
    kernel.execute("%%amplifier\nsecond")
    after = kernel.execute(
        KS + "ks = kernel_session()\nprint(ks.session.session_id)\n"
        "p = ks.session.coordinator.get('providers')['scripted']\n"
        "print(len(p.requests[-1].messages))"
    ).stdout.split()
    assert after[0] != before.strip()
    assert after[1] == "1"  # the fresh session's first request carries no earlier turn


def test_a_cell_run_before_a_reset_never_replaces_a_turn_of_the_new_session(
    kernel: Kernel,
) -> None:
    set_script(kernel, "Old.", "New.", "Again.")
    # The same prompt in two cells, one before and one after the reset.
    result = kernel.execute(
        KS + "ks = kernel_session()\n"
        "await ks.execute('Summarise.', cell_id='cell-x')\n"
        "await ks.reset()\n"
        "await ks.execute('Summarise.', cell_id='cell-y')\n"
        "await ks.execute('Summarise.', cell_id='cell-x')\n"
        "messages = await ks.messages()\n"
        "print(ks.turns, len(messages), [m['content'] for m in messages if m['role'] == 'user'])"
    )
    assert result.ok, result.error
    # cell-x's old turn belonged to the ended session: its re-run appends to the new one.
    assert result.stdout.strip() == "2 4 ['Summarise.', 'Summarise.']"


def test_plan_from_a_file_and_from_a_literal(kernel: Kernel, tmp_path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        "session: {orchestrator: loop-basic, context: context-simple}\n"
        "providers:\n  - module: provider-scripted\n    config: {script: [From YAML.]}\n"
    )
    assert "plan set" in kernel.execute(f"%amplifier config {path}").stdout
    result = kernel.execute("%%amplifier\nhi")
    assert result.markdown == ["From YAML."]
    # The upstream ids get the built-in equivalents, and the cell says so in one line each.
    assert "loop-basic is not installed: using the built-in loop-notebook" in result.stdout
    literal = (
        '%amplifier config {"session": {"orchestrator": "loop-notebook", "context":'
        ' "context-notebook"}, "providers": [{"module": "provider-scripted", "config":'
        ' {"script": ["From {braces}."]}}]}'
    )
    assert "plan set" in kernel.execute(literal).stdout
    assert kernel.execute("%%amplifier\nhi").markdown == ["From {braces}."]


def test_bad_input_gets_one_line_and_nothing_breaks(kernel: Kernel) -> None:
    set_script(kernel, "Alive.")
    bad = {
        "%%amplifier --bogus\nhi": "unrecognized arguments: --bogus. usage: %%amplifier",
        "%%amplifier\n   \n": "the cell is empty",
        "%amplifier frobnicate": "unknown subcommand 'frobnicate'",
        '%amplifier config {"session": {"orchestrator": "x"}}': "session.context is missing",
        "%amplifier config no_such_var": "no variable named 'no_such_var'",
    }
    for code, expected in bad.items():
        result = kernel.execute(code)
        assert result.ok, code
        text = result.stdout + result.stderr
        assert expected in text, (code, text)
        assert "Traceback" not in text
        assert len(text.strip().splitlines()) == 1, (code, text)
    assert kernel.execute("%%amplifier\nstill there?").markdown == ["Alive."]


def test_a_module_that_fails_to_mount_is_one_line(kernel: Kernel) -> None:
    code = (
        'SCRIPT = ["Fine without it."]\n' + SCRIPTED + 'plan["tools"] = [{"module": "tool-nope"}]\n'
        "%amplifier config plan"
    )
    kernel.execute(code)
    result = kernel.execute("%%amplifier\nhi")
    assert result.markdown == ["Fine without it."]
    assert "tool-nope did not load: module 'tool-nope' is not installed or built in" in (
        result.stderr
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert "turns         1" in kernel.execute("%amplifier status").stdout


def test_no_api_key_says_how_to_set_one(kernel: Kernel) -> None:
    kernel.execute("%amplifier config --default")
    result = kernel.execute("%%amplifier\nhi")
    assert result.ok
    assert result.stderr.strip().splitlines() == [
        "amplifier: No Anthropic API key: set ANTHROPIC_API_KEY (for example %env "
        "ANTHROPIC_API_KEY=sk-...), or use the offline provider-scripted (see %amplifier help)."
    ]


def test_get_session_returns_the_kernels_initialized_session(kernel: Kernel) -> None:
    set_script(kernel, "From the API.")
    result = kernel.execute(
        KS + "import amplifier_jupyter\n"
        "s = await amplifier_jupyter.get_session()\n"
        "print(s.initialized, s is kernel_session().session)\n"
        "print(await s.execute('hi'))"
    )
    assert result.stdout.split("\n")[:2] == ["True True", "From the API."]


def test_line_magic_inside_a_block_still_works(kernel: Kernel) -> None:
    result = kernel.execute("if True:\n    %amplifier status")
    assert result.ok and "session" in result.stdout


def test_a_magic_line_inside_a_string_stays_text(kernel: Kernel) -> None:
    # IPython leaves a %magic line inside a multi-line string alone; so must our transformer.
    result = kernel.execute('doc = """\n%amplifier status\n"""\nprint(repr(doc))')
    assert result.ok, result.error
    assert result.stdout.strip() == repr("\n%amplifier status\n")


def test_loading_twice_is_harmless() -> None:
    with Kernel() as k:
        k.execute("%load_ext amplifier_jupyter")
        k.execute("%reload_ext amplifier_jupyter")
        n = k.execute(
            "from amplifier_jupyter.magics import transform_cell\n"
            "print(get_ipython().input_transformers_cleanup.count(transform_cell))"
        )
        assert n.stdout.strip() == "1"


def test_out_takes_no_name_python_or_the_shell_needs(kernel: Kernel) -> None:
    # Binding the answer to __builtins__ (or In, _, _i3...) broke every later cell.
    kernel.execute(
        'SCRIPT = ["Kept."]\n' + SCRIPTED + 'plan["providers"][0]["config"]["when_exhausted"] = '
        '"repeat"\n%amplifier config plan'
    )
    refused = ["__builtins__", "__name__", "In", "Out", "get_ipython", "exit", "quit", "_"]
    refused += ["__", "___", "_i", "_ii", "_i3", "_ih", "_oh", "_dh", "class", "not-a-name"]
    for name in refused:
        kernel.execute("_amplifier = 'before'")
        result = kernel.execute(f"%%amplifier --out {name}\nhello")
        assert result.ok, (name, result.error)
        assert result.markdown == ["Kept."], (name, result.stdout, result.stderr)
        lines = result.stdout.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"amplifier: --out {name} "), (name, lines)
        assert "_amplifier" in lines[0] and result.stderr == "", (name, result.stderr)
        # The answer is not lost: it is where a cell without --out puts it; the shell works.
        check = kernel.execute("print(type(__builtins__).__name__, _amplifier, callable(exit))")
        assert check.ok, (name, check.error)
        assert check.stdout.split() in (["module", "Kept.", "True"], ["dict", "Kept.", "True"])
    answer = kernel.execute("%%amplifier --out answer_2\nhi")
    assert answer.stdout == "" and answer.markdown == ["Kept."]
    assert kernel.execute("print(answer_2)").stdout.strip() == "Kept."
