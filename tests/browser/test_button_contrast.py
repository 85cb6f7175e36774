"""Buttons that look like buttons (issue 16, goal 6): in JupyterLab's light and dark themes,
the approval card's buttons have a background and a border of their own, and the border
stands out from the card by a WCAG contrast of 3:1 or more (the ratio non-text parts of a
control need, WCAG 2.2 SC 1.4.11); their labels read at 4.5:1 on their own background.

The colours are the browser's computed ones (``getComputedStyle``), so what is measured is
what the theme's variables and the panel's stylesheet (``ui/assets/panel.css``) give.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fake_anthropic import FakeAnthropic, tool_reply
from kernel_harness import fake_api_env
from lab_page import NotebookPage
from playwright.sync_api import expect

LOAD = "%load_ext amplifier_jupyter"
PROMPT = "%%amplifier\nWhat does 6 * 7 print in Python? Run it to check."
THEMES = ["JupyterLab Light", "JupyterLab Dark"]
# WCAG 2.2: non-text contrast (a control's boundary) and text contrast (its label).
BOUNDARY = 3.0
LABEL = 4.5

Colour = tuple[float, float, float, float]


@pytest.fixture(scope="module")
def lab_env(fake: FakeAnthropic) -> dict[str, str]:
    return fake_api_env(fake.url)


def parse(css: str) -> Colour:
    """``rgb(1, 2, 3)`` or ``rgba(1, 2, 3, 0.5)`` (a computed colour) as (r, g, b, alpha)."""
    match = re.fullmatch(r"rgba?\(([^)]*)\)", css.strip())
    assert match, f"not a computed rgb() colour: {css!r}"  # e.g. color(srgb ...)
    parts = [float(p) for p in re.split(r"[,\s/]+", match.group(1).strip())]
    return (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0)


def over(top: Colour, below: Colour) -> Colour:
    """``top`` painted over an opaque ``below``."""
    alpha = top[3]
    return (*(t * alpha + b * (1 - alpha) for t, b in zip(top[:3], below[:3], strict=True)), 1.0)


def luminance(colour: Colour) -> float:
    """WCAG relative luminance of an opaque sRGB colour."""

    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Colour, b: Colour) -> float:
    """WCAG contrast ratio, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# In one step in the page: the card is drawn afresh as its countdown ticks.
STYLES_JS = """output => {
    const card = output.querySelector('.amplifier-approve');
    const style = node => {
        const s = getComputedStyle(node);
        return {
            background: s.backgroundColor, color: s.color, border: s.borderTopColor,
            borderWidth: parseFloat(s.borderTopWidth), borderStyle: s.borderTopStyle,
        };
    };
    // What is behind the card: the first ancestor with a background of its own.
    let below = card.parentElement;
    while (below && getComputedStyle(below).backgroundColor === 'rgba(0, 0, 0, 0)') {
        below = below.parentElement;
    }
    return {
        card: style(card),
        page: below ? getComputedStyle(below).backgroundColor : 'rgb(255, 255, 255)',
        buttons: [...card.querySelectorAll('button')].map(
            b => ({name: b.textContent, ...style(b)})
        ),
    };
}"""


def switch_theme(notebook: NotebookPage, theme: str) -> None:
    """Change JupyterLab's theme with its own command and wait until it is applied."""
    notebook.page.evaluate(
        "theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme
    )
    notebook.page.wait_for_function(
        "theme => document.body.dataset.jpThemeName === theme", arg=theme
    )


def measured(styles: dict[str, Any]) -> list[dict[str, Any]]:
    """Each button's contrasts against the card (colours composited as painted)."""
    page = parse(styles["page"])
    page = over(page, (255.0, 255.0, 255.0, 1.0))
    card = over(parse(styles["card"]["background"]), page)
    rows = []
    for button in styles["buttons"]:
        background = over(parse(button["background"]), card)
        border = over(parse(button["border"]), card)
        rows.append(
            {
                "name": button["name"],
                "background": background[:3],
                "card": card[:3],
                "border": border[:3],
                "border_drawn": button["borderWidth"] >= 1 and button["borderStyle"] != "none",
                "background_vs_card": round(contrast(background, card), 2),
                "border_vs_card": round(contrast(border, card), 2),
                "label_vs_background": round(
                    contrast(over(parse(button["color"]), background), background), 2
                ),
            }
        )
    return rows


@pytest.mark.parametrize("theme", THEMES)
def test_approval_buttons_stand_out_from_the_card(
    notebook: NotebookPage, fake: FakeAnthropic, theme: str
) -> None:
    fake.reset()
    fake.enqueue(tool_reply("python", {"code": "print(6 * 7)"}), "It prints 42.")
    name = f"contrast-{theme.split()[-1].lower()}.ipynb"
    notebook.lab.write_notebook(name, [LOAD, PROMPT])
    notebook.open(name)
    switch_theme(notebook, theme)
    notebook.run_in_place(0)
    notebook.start(1)
    card = notebook.output(1).locator(".amplifier-approve")
    expect(card.get_by_role("button")).to_have_count(3, timeout=30_000)
    # anywidget adds the panel's stylesheet as the widget renders: measure once it applies.
    notebook.page.wait_for_function(
        "output => getComputedStyle(output.querySelector('.amplifier-live')).display === 'flex'",
        arg=notebook.output(1).element_handle(),
    )
    notebook.screenshot(f"approval-card-{theme.split()[-1].lower()}", card)

    rows = measured(notebook.output(1).evaluate(STYLES_JS))
    assert [r["name"] for r in rows] == ["Allow once", "Allow always", "Deny"], rows
    for row in rows:
        assert row["border_drawn"], row
        assert row["background"] != row["card"], row  # a background of its own
        assert row["border"] != row["card"], row
        assert row["border_vs_card"] >= BOUNDARY, row
        assert row["label_vs_background"] >= LABEL, row
    print(theme, rows)  # the measured ratios (pytest -s), for docs/design.md
    # Answer, so the run ends and the kernel is free for the next theme.
    card.get_by_role("button", name="Deny").click()
    expect(notebook.output(1).locator(".amplifier-status")).to_contain_text(
        re.compile("Done|Stopped|Failed"), timeout=30_000
    )
