"""Plots and images reach the model (issue 18), in a real kernel: the image blocks that
reached the Messages API (the fake one, through provider-claude and the real SDK)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fake_anthropic import FakeAnthropic, tool_reply
from kernel_harness import Kernel, ok

from amplifier_jupyter.images.probe import dimensions

PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nprint('plotted')"


@pytest.fixture(scope="module")
def kernel(fake_kernel: Kernel) -> Kernel:
    """A kernel whose default plan (provider-claude) talks to the fake."""
    ok(fake_kernel, "%matplotlib inline")
    return fake_kernel


@pytest.fixture
def fresh(kernel: Kernel, fake: FakeAnthropic) -> Kernel:
    """A new session; the fake forgets earlier requests."""
    ok(kernel, "%amplifier reset")
    fake.reset()
    return kernel


def last_user_content(fake: FakeAnthropic) -> list[dict[str, Any]]:
    content = fake.bodies[-1]["messages"][-1]["content"]
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def images_in(content: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in content if b["type"] == "image"]


def size_of(block: dict[str, Any]) -> tuple[int, int] | None:
    return dimensions(base64.b64decode(block["source"]["data"]))


def test_cells_send_a_plot_as_an_image_after_the_text(fresh: Kernel, fake: FakeAnthropic) -> None:
    ok(fresh, PLOT)
    result = ok(fresh, "%%amplifier --cells -1:\nexplain this chart")
    content = last_user_content(fake)
    assert [b["type"] for b in content] == ["text", "image"]
    marker = re.search(r"\[image 1: cell (\d+) image 1\]", content[0]["text"])
    assert marker, content[0]["text"]
    assert "plotted" in content[0]["text"]
    assert content[1]["source"]["media_type"] == "image/png"
    width, height = size_of(content[1])  # type: ignore[misc]
    assert f"1 image ({width}×{height})" in result.stdout


def test_braces_and_vars_send_a_figure_and_a_dataframe_stays_a_table(
    fresh: Kernel, fake: FakeAnthropic
) -> None:
    ok(
        fresh,
        "from matplotlib.figure import Figure\nimport pandas as pd\n"
        "fig = Figure(figsize=(4, 3), dpi=100)\nfig.add_subplot().bar(['a', 'b'], [3, 5])\n"
        "df = pd.DataFrame({'x': range(50), 'y': range(50)})",
    )
    result = ok(fresh, "%%amplifier --vars fig,df\nWhat does {fig} show about {df}?")
    content = last_user_content(fake)
    text = content[0]["text"]
    assert "What does [image 1: fig] show about" in text
    assert "pandas DataFrame: 50 rows × 2 columns" in text
    assert text.count("[image 1: fig]") == 2  # the {fig} field and the --vars section
    assert len(images_in(content)) == 1 and content[-1]["type"] == "image"
    assert "1 image (" in result.stdout


def test_the_python_tool_returns_what_it_displayed(fresh: Kernel, fake: FakeAnthropic) -> None:
    ok(fresh, "%amplifier approve allow python")
    fake.enqueue(
        tool_reply("python", {"code": "import matplotlib.pyplot as plt\nplt.plot([3, 1, 2])"}),
        "It falls, then rises.",
    )
    result = ok(fresh, "%%amplifier\nplot it")
    shown = [m for m in result.messages if m["msg_type"] == "display_data"]
    assert any("image/png" in m["content"]["data"] for m in shown)  # still in the cell
    results = [b for b in last_user_content(fake) if b["type"] == "tool_result"]
    assert results, last_user_content(fake)
    blocks = results[0]["content"]
    assert isinstance(blocks, list)
    assert "[image 1: displayed]" in blocks[0]["text"]
    assert images_in(blocks) and images_in(blocks)[0]["source"]["media_type"] == "image/png"
    # The transcript stores the image once, with the messages; its events leave it out.
    data = images_in(blocks)[0]["source"]["data"]
    folder = session_folder(fresh)
    assert data not in (folder / "events.jsonl").read_text()
    assert (folder / "messages.jsonl").read_text().count(data) == 1


def test_a_large_pil_image_is_downscaled(fresh: Kernel, fake: FakeAnthropic) -> None:
    ok(fresh, "from PIL import Image\nwide = Image.new('RGB', (4000, 1000), 'teal')")
    result = ok(fresh, "%%amplifier\nWhat colour is {wide}?")
    (image,) = images_in(last_user_content(fake))
    assert size_of(image) == (1568, 392)
    assert "1 image (1568×392)" in result.stdout


def session_folder(kernel: Kernel) -> Path:
    code = (
        "import os\nfrom amplifier_jupyter.session.kernel import kernel_session\n"
        "print(os.getcwd()); print(kernel_session().session.session_id)"
    )
    cwd, session_id = ok(kernel, code).stdout.split()
    return Path(cwd) / ".amplifier" / "sessions" / session_id


def test_a_resumed_session_sends_the_same_images_and_save_writes_them(
    fresh: Kernel, fake: FakeAnthropic
) -> None:
    ok(fresh, "from PIL import Image\nsmall = Image.new('RGB', (30, 20), 'red')")
    ok(fresh, "%%amplifier\nLook at {small}")
    (sent,) = images_in(last_user_content(fake))
    folder = session_folder(fresh)
    ok(fresh, "%amplifier reset")
    ok(fresh, f"%amplifier resume {folder.name}")
    ok(fresh, "%%amplifier\nAnd now?")
    first_turn = fake.bodies[-1]["messages"][0]["content"]
    assert [b["source"] for b in images_in(first_turn)] == [sent["source"]]
    saved = folder.parent.parent.parent / "talk.md"
    ok(fresh, f"%amplifier save {saved}")
    assert "![image 1](talk_images/image-1.png)" in saved.read_text()
    png = (saved.parent / "talk_images" / "image-1.png").read_bytes()
    assert dimensions(png) == (30, 20)
    assert json.dumps(sent["source"]["data"]).strip('"') == base64.b64encode(png).decode()
