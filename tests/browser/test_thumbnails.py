"""The images a turn sends show as thumbnails in the panel's timeline (issue 18): a
``--vars fig`` cell with a matplotlib figure, in JupyterLab with chromium, draws an
``<img>`` of at most 64 px under its "sent:" line, decoded (``naturalWidth`` > 0).

A background run's panel stays live after its cell, so the thumbnail is still there to
look at; the summary a foreground run leaves names the images on its "sent:" line instead.
"""

from __future__ import annotations

import re

from kernel_harness import scripted_plan_json
from lab_page import NotebookPage
from playwright.sync_api import expect

SETUP = f"%load_ext amplifier_jupyter\n%amplifier config {scripted_plan_json('Two bars.')}"
FIGURE = (
    "from matplotlib.figure import Figure\n"
    "fig = Figure(figsize=(4, 3), dpi=100)\n"
    "fig.add_subplot().bar(['a', 'b'], [3, 5])"
)
PROMPT = "%%amplifier --background --vars fig\nWhat does this chart show?"


def test_a_figure_sent_shows_as_a_thumbnail_in_the_timeline(notebook: NotebookPage) -> None:
    notebook.lab.write_notebook("thumbnails.ipynb", [SETUP, FIGURE, PROMPT])
    notebook.open("thumbnails.ipynb")
    for index in range(3):
        notebook.run_in_place(index)
    panel = notebook.output(2).locator(".amplifier-panel")
    expect(panel.locator(".amplifier-status")).to_contain_text("Done", timeout=30_000)
    timeline = panel.locator(".amplifier-timeline")
    if not timeline.locator("details").evaluate("d => d.open"):
        timeline.locator("summary").click()
    sent = timeline.locator(".amplifier-entry-note", has_text="sent:")
    # The figure is saved with a tight bounding box: a little smaller than 400×300.
    expect(sent).to_contain_text(re.compile(r"1 image \((\d+)×(\d+)\)"))
    thumb = timeline.locator(".amplifier-thumbs img.amplifier-thumb")
    expect(thumb).to_have_count(1)
    expect(thumb).to_be_visible()
    expect(thumb).to_have_attribute("title", re.compile(r"^fig \(\d+×\d+\)$"))
    size = thumb.evaluate("img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])")
    assert 0 < size[0] <= 64 and 0 < size[1] <= 64, size
    assert size[0] > size[1], size  # the figure's shape: 4 by 3
    notebook.screenshot("timeline-thumbnail", notebook.cell(2))
