"""A screen drawn from its UI tree, as a phone would show it: the picture `screencap` takes.

Every view is drawn from what uiautomator reports of it (class, text, content
description, state), inside its bounds, so what a screenshot shows is what a tap there
presses: a button drawn at a place is the node `Node.hit` finds at that place.

PNGs are memoised per tree and size (the few hundred last drawn): a wall of phones whose
screens do not change costs one drawing per screen, not one per screenshot. Pillow is
imported where a picture is drawn, so importing the simulator does not import it.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from typing import TYPE_CHECKING

from ._ui import Node

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

    Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
    Colour = tuple[int, int, int]

__all__ = ["png", "raw"]

_RGBA_8888 = 1
_BACKGROUND = (250, 250, 250)
_INK = (33, 33, 33)
_FAINT = (117, 117, 117)
_IMAGE = (189, 189, 189)
_WHITE = (255, 255, 255)


def _accent(package: str) -> tuple[int, int, int]:
    """The app's colour: its status bar, buttons and selected tabs."""
    code = zlib.crc32(package.encode())
    return 40 + code % 140, 40 + (code >> 8) % 140, 40 + (code >> 16) % 140


@functools.lru_cache(maxsize=16)
def _font(size: int) -> Font:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _fitted(draw: ImageDraw.ImageDraw, text: str, width: int, font: Font) -> str:
    """`text`, cut with an ellipsis to fit in `width` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…" if text else ""


def _label(draw: ImageDraw.ImageDraw, node: Node, text: str, colour: Colour, *,
           centred: bool) -> None:
    box = node.bounds
    height, width = box.bottom - box.top, box.right - box.left
    size = max(8, min(int(height * 0.42), 46))
    font = _font(size)
    pad = size // 2
    shown = _fitted(draw, text, max(0, width - 2 * pad), font)
    if not shown:
        return
    middle = (box.top + box.bottom) // 2
    if centred:
        draw.text(((box.left + box.right) // 2, middle), shown, fill=colour, font=font,
                  anchor="mm")
    else:
        draw.text((box.left + pad, middle), shown, fill=colour, font=font, anchor="lm")


def _tint(text: str) -> Colour:
    """A light colour of its own for a picture (a video, a post), so pictures differ."""
    code = zlib.crc32(text.encode())
    return 170 + code % 70, 170 + (code >> 8) % 70, 170 + (code >> 16) % 70


def _icon(draw: ImageDraw.ImageDraw, node: Node, colour: Colour) -> None:
    """A round icon in the top of `node`'s box, with the first letter of what it is."""
    box = node.bounds
    size = min(box.right - box.left, (box.bottom - box.top) * 3 // 5)
    left, top = (box.left + box.right - size) // 2, box.top
    draw.ellipse((left, top, left + size, top + size), fill=colour)
    letter = (node.content_desc or node.text or "?")[:1].upper()
    draw.text((left + size // 2, top + size // 2), letter, fill=_WHITE,
              font=_font(max(8, size // 2)), anchor="mm")


def _view(draw: ImageDraw.ImageDraw, node: Node, colour: Colour, icon_size: int) -> None:
    """One view, over what its parents drew; a clickable one no larger than `icon_size`
    that shows no text is an icon."""
    box = node.bounds
    rect = (box.left, box.top, max(box.left, box.right - 1), max(box.top, box.bottom - 1))
    kind = node.cls.rsplit(".", 1)[-1]
    radius = max(2, (box.bottom - box.top) // 5)
    if kind == "Button":
        draw.rounded_rectangle(rect, radius, fill=colour if node.enabled else _IMAGE)
        _label(draw, node, node.text or node.content_desc, _WHITE, centred=True)
    elif kind == "EditText":
        draw.rounded_rectangle(rect, radius, fill=_WHITE, outline=colour if node.focused
                               else _FAINT, width=4 if node.focused else 2)
        _label(draw, node, node.text or node.content_desc, _INK if node.text else _FAINT,
               centred=False)
    elif kind == "TextView" and node.clickable:
        draw.rounded_rectangle(rect, radius, outline=colour, width=3)
        _label(draw, node, node.text or node.content_desc, colour, centred=True)
    elif kind == "TextView":
        _label(draw, node, node.text or node.content_desc, _INK, centred=False)
    elif node.clickable and node.content_desc and min(
            box.right - box.left, box.bottom - box.top) <= icon_size:
        _icon(draw, node, colour)  # like, share, a tab, an avatar
    elif node.content_desc:  # a picture: a video, a post, a photo
        draw.rectangle(rect, fill=_tint(node.content_desc))
        middle_x, middle_y = (box.left + box.right) // 2, (box.top + box.bottom) // 2
        side = min(box.right - box.left, box.bottom - box.top) // 6
        draw.polygon([(middle_x - side // 2, middle_y - side), (middle_x + side, middle_y),
                      (middle_x - side // 2, middle_y + side)], fill=_WHITE)
    if node.selected:  # a tab or a chosen item: underlined
        draw.rectangle((rect[0], rect[3] - 6, rect[2], rect[3]), fill=colour)


def _rgba(root: Node, width: int, height: int, rotation: int) -> Image.Image:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (*_BACKGROUND, 255))
    draw = ImageDraw.Draw(image)
    colour = _accent(root.package)
    draw.rectangle((0, 0, width, max(1, height // 40)), fill=colour)  # the status bar
    for node in root.walk():
        _view(draw, node, colour, icon_size=width // 5)
    return image.rotate(90 * rotation, expand=True) if rotation % 4 else image


@functools.lru_cache(maxsize=256)
def png(root: Node, width: int, height: int, rotation: int) -> bytes:
    """`screencap -p`: the screen `root` on a `width` x `height` phone, as a PNG."""
    out = io.BytesIO()
    _rgba(root, width, height, rotation).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def raw(root: Node, width: int, height: int, rotation: int) -> bytes:
    """`screencap` without `-p`: width, height, format, colour space, then RGBA pixels."""
    image = _rgba(root, width, height, rotation)
    return struct.pack("<4I", *image.size, _RGBA_8888, 0) + image.tobytes()
