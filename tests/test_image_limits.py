"""Images within the API's limits: sizing, downscaling, the 20-image bound, the fake's checks."""

from __future__ import annotations

import base64
import io
import json
import sys
import urllib.error
import urllib.request

import pytest
from fake_anthropic import FakeAnthropic
from PIL import Image

from amplifier_jupyter.images import ImageSet, omit_image_data
from amplifier_jupyter.images.fit import LeftOut, fit
from amplifier_jupyter.images.probe import dimensions
from amplifier_jupyter.modules.context_notebook._context import estimate_tokens
from amplifier_jupyter.modules.provider_claude._mapping import IMAGE_LEFT_OUT, bound_images
from amplifier_jupyter.redaction import redact


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 30, 200)).save(out, format="JPEG")
    return out.getvalue()


def block(data: bytes, media_type: str = "image/png") -> dict:
    encoded = base64.b64encode(data).decode()
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": media_type, "data": encoded},
    }


def test_sizes_are_read_from_the_headers() -> None:
    assert dimensions(png(120, 80)) == (120, 80)
    assert dimensions(jpeg(64, 48)) == (64, 48)


def test_a_large_image_is_downscaled_to_the_working_size() -> None:
    image = fit(png(3000, 1000), "big")
    assert (image.width, image.height) == (1568, 523)
    assert dimensions(image.data) == (1568, 523)
    assert image.thumbnail.startswith("data:image/png;base64,")


def test_without_pillow_an_oversized_image_is_left_out_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, within = png(9000, 10), png(2000, 100)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(LeftOut) as caught:
        fit(data, "wide")
    assert "9000×10" in str(caught.value) and "8,000 px" in str(caught.value)
    assert "Pillow" in str(caught.value) and "\n" not in str(caught.value)
    # Within the API's limits it goes as it is (the API scales it).
    assert fit(within, "ok").width == 2000


def test_at_most_twenty_images_in_one_message() -> None:
    images = ImageSet()
    markers = [images.add_bytes(png(10, 10), f"p{i}") for i in range(22)]
    assert markers[0] == "[image 1: p0]" and markers[19] == "[image 20: p19]"
    assert "not sent" in markers[20] and len(images.blocks()) == 20
    assert images.notices and "over 20 images" in images.notices[0]
    assert images.sent_part().startswith("20 images (10×10, ")


def test_provider_claude_keeps_the_newest_twenty_images_of_a_request() -> None:
    first = block(png(5, 5))
    turns = [
        {"role": "user", "content": [{"type": "text", "text": "a"}, first]},
        {"role": "assistant", "content": [{"type": "text", "text": "b"}]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t", "content": [block(png(6, 6))] * 20}
            ],
        },
    ]
    assert bound_images(turns) == 1
    assert turns[0]["content"][1] == {"type": "text", "text": IMAGE_LEFT_OUT}
    assert len(turns[2]["content"][0]["content"]) == 20


def test_redaction_keeps_image_data_and_events_leave_it_out() -> None:
    image = block(png(4, 4))
    message = {
        "role": "user",
        "content": [{"type": "text", "text": "key sk-ant-abcdefghijkl"}, image],
    }
    redacted = redact(message)
    assert redacted["content"][1] == image
    assert "[REDACTED]" in redacted["content"][0]["text"]
    event = omit_image_data({"result": {"content": [image]}})
    assert "data" in event["result"]["content"][0]["source"]
    assert image["source"]["data"] not in json.dumps(event)


def test_context_notebook_counts_an_image_by_its_size_not_its_base64() -> None:
    big = {"role": "user", "content": [{"type": "text", "text": "hi"}, block(png(1500, 1500))]}
    assert len(json.dumps(big)) > 10_000
    assert estimate_tokens(big) < 2_000


def _post(fake: FakeAnthropic, content: list[dict]) -> tuple[int, str]:
    body = {"model": "claude-sonnet-5-5", "max_tokens": 10}
    body["messages"] = [{"role": "user", "content": content}]
    request = urllib.request.Request(
        fake.url + "/v1/messages",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "x-api-key": "test"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["error"]["message"]


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ([block(b"not an image at all")], "appears to be a unknown image"),
        ([{**block(png(4, 4)), "source": {**block(png(4, 4))["source"], "data": "@@@"}}], "base64"),
        ([block(png(4, 4), "image/jpeg")], "specified using the image/jpeg media type"),
        ([block(png(8001, 2))], "8000 pixels"),
        ([block(png(4, 4), "image/bmp")], "media_type"),
        ([block(png(4, 4))] * 21, "too many images"),
    ],
)
def test_the_fake_api_rejects_what_the_real_one_does(
    fake_anthropic: FakeAnthropic, content: list[dict], complaint: str
) -> None:
    status, message = _post(fake_anthropic, [{"type": "text", "text": "look"}, *content])
    assert status == 400
    assert complaint in message


def test_the_fake_api_takes_well_formed_images(fake_anthropic: FakeAnthropic) -> None:
    status, _ = _post(fake_anthropic, [block(png(4, 4)), block(jpeg(8, 8), "image/jpeg")])
    assert status == 200


def test_an_event_line_leaves_out_every_images_data_inside_tuples_too() -> None:
    """The transcript leaves an event's image data out in redaction's walk, wherever the
    block is (a tuple the event carries is made JSON first)."""
    from amplifier_jupyter.images.blocks import OMITTED
    from amplifier_jupyter.redaction import REDACTED, redact

    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png"}}
    image["source"]["data"] = "QUJD" * 1000
    event = {"result": {"content": [image]}, "inputs": ("x", image), "api_key": "sk-abc"}
    line = redact(event, omit_images=True)
    assert line["result"]["content"][0]["source"]["data"] == OMITTED
    assert line["inputs"][1]["source"]["data"] == OMITTED
    assert line["api_key"] == REDACTED
    assert image["source"]["data"] == "QUJD" * 1000  # the event itself is left as it was
    assert redact(event)["result"]["content"][0]["source"]["data"] == "QUJD" * 1000
