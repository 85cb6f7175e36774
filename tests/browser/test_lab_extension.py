"""The JupyterLab extension in a real browser: the prompt-cell button, shortcut and palette
entry, the prompt-cell marker, a prompt run against an offline plan, and the button and
shortcut as settings a user changes."""

from __future__ import annotations

import json
import re

from lab_page import NotebookPage
from playwright.sync_api import expect

ANSWER = "The answer is **42**."
PROMPT = "What is the answer?"
LOAD = "%load_ext amplifier_jupyter"
# Set before the extension is loaded: the plan lives in the kernel, not in the magic.
PLAN_CELL = (
    "import amplifier_jupyter\n"
    f"await amplifier_jupyter.set_plan(amplifier_jupyter.scripted_plan([{ANSWER!r}]))"
)
MARKED = re.compile(r"(^|\s)amplifier-prompt-cell(\s|$)")


def brand_shadow(notebook: NotebookPage, index: int) -> tuple[str, str]:
    """The prompt-cell marker's computed shadow and the theme's brand colour, both as rgb()."""
    return notebook.cell(index).evaluate(
        """cell => {
            const probe = document.createElement('div');
            probe.style.color = 'var(--jp-brand-color1)';
            document.body.appendChild(probe);
            const brand = getComputedStyle(probe).color;
            probe.remove();
            const input = cell.querySelector('.jp-Cell-inputArea');
            return [getComputedStyle(input).boxShadow, brand];
        }"""
    )


def test_toolbar_button_inserts_a_prompt_cell_that_runs_offline(notebook: NotebookPage) -> None:
    notebook.lab.write_notebook("prompt.ipynb", [PLAN_CELL])
    notebook.open("prompt.ipynb")
    button = notebook.toolbar.locator(".amplifier-toolbar-button")
    expect(button).to_be_visible()
    notebook.run_in_place(0)

    button.click()

    # No cell loads the extension yet: a load cell goes first, and runs at once.
    notebook.wait_for_sources([PLAN_CELL, LOAD, "%%amplifier\n"])
    notebook.wait_executed(1)
    expect(notebook.cell(2)).to_have_class(MARKED)
    expect(notebook.cell(1)).not_to_have_class(MARKED)
    shadow, brand = brand_shadow(notebook, 2)
    assert brand in shadow, (shadow, brand)

    # The cursor waits on the second line: typing writes the prompt there.
    notebook.page.keyboard.type(PROMPT)
    notebook.wait_for_sources([PLAN_CELL, LOAD, f"%%amplifier\n{PROMPT}"])
    notebook.page.keyboard.press("Shift+Enter")

    output = notebook.output(2)
    expect(output.locator(".jp-RenderedMarkdown strong")).to_have_text("42", timeout=30_000)
    expect(output.locator(".amplifier-panel .amplifier-status")).to_contain_text("Done")
    notebook.screenshot("lab-extension")


def test_shortcut_and_palette_insert_prompt_cells_and_the_marker_follows_edits(
    notebook: NotebookPage,
) -> None:
    notebook.lab.write_notebook("keys.ipynb", [LOAD, ""])
    notebook.open("keys.ipynb")
    page = notebook.page

    # Ctrl+Shift+A on an empty cell fills it; the load cell above is enough, nothing runs.
    notebook.click_editor(1)
    page.keyboard.press("Control+Shift+A")
    notebook.wait_for_sources([LOAD, "%%amplifier\n"])
    expect(notebook.cell(1)).to_have_class(MARKED)
    assert notebook.execution_counts() == [None, None]

    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette")
    page.keyboard.type("Amplifier: new prompt")
    expect(palette.locator(".lm-CommandPalette-item.lm-mod-active")).to_contain_text(
        "Amplifier: new prompt cell"
    )
    page.keyboard.press("Enter")
    notebook.wait_for_sources([LOAD, "%%amplifier\n", "%%amplifier\n"])
    expect(notebook.cell(2)).to_have_class(MARKED)

    # Rewriting a prompt cell into plain code drops its marker.
    page.keyboard.press("Control+a")
    page.keyboard.type("print(1)")
    notebook.wait_for_sources([LOAD, "%%amplifier\n", "print(1)"])
    expect(notebook.cell(2)).not_to_have_class(MARKED)
    expect(notebook.cell(1)).to_have_class(MARKED)


def test_the_shortcut_above_a_load_cell_inserts_no_second_one(notebook: NotebookPage) -> None:
    # The load cell sits below the active cell: it still counts, nothing is inserted or run.
    notebook.lab.write_notebook("below.ipynb", ["x = 1", LOAD])
    notebook.open("below.ipynb")
    notebook.click_editor(0)
    notebook.page.keyboard.press("Control+Shift+A")
    notebook.wait_for_sources(["x = 1", "%%amplifier\n", LOAD])
    expect(notebook.cell(1)).to_have_class(MARKED)
    assert notebook.execution_counts() == [None, None, None]


def test_the_toolbar_button_and_the_shortcut_are_settings_a_user_changes(
    notebook: NotebookPage,
) -> None:
    # schema/plugin.json declares both; a user's settings hide the button and rebind the keys.
    command = "amplifier:new-prompt-cell"
    user = notebook.lab.home / "settings" / "@jupyterlab"
    overrides = {
        user / "notebook-extension" / "panel.jupyterlab-settings": {
            "toolbar": [{"name": "amplifierNewPromptCell", "disabled": True}]
        },
        user / "shortcuts-extension" / "shortcuts.jupyterlab-settings": {
            "shortcuts": [
                {
                    "command": command,
                    "keys": ["Accel Shift A"],
                    "selector": ".jp-Notebook",
                    "disabled": True,
                },
                {"command": command, "keys": ["Alt Shift A"], "selector": ".jp-Notebook"},
            ]
        },
    }
    for path, value in overrides.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")
    try:
        notebook.lab.write_notebook("settings.ipynb", [LOAD, ""])
        notebook.open("settings.ipynb")
        expect(notebook.toolbar.locator('[data-jp-item-name="kernelName"]')).to_be_visible()
        expect(notebook.toolbar.locator(".amplifier-toolbar-button")).to_have_count(0)
        bindings = notebook.page.evaluate(
            """command => window.jupyterapp.commands.keyBindings
                .filter(binding => binding.command === command)
                .map(binding => binding.keys.join(' '))""",
            command,
        )
        assert bindings == ["Alt Shift A"], bindings

        notebook.click_editor(1)
        notebook.page.keyboard.press("Alt+Shift+A")
        notebook.wait_for_sources([LOAD, "%%amplifier\n"])
    finally:
        for path in overrides:
            path.unlink()
