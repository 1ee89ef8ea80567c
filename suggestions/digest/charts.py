"""Grouped bar charts for the monthly digest, drawn server-side as PNG (SVG does not render in e-mail).

Pure functions over Pillow, no network. Text uses an installed system font (DejaVu Sans and the like)
when there is one: Pillow's built-in ``load_default(size=...)`` Aileron is a subset (ASCII and a few
signs, no ø æ å é ü), so it is only the fallback, and then such letters are spelt without their marks
(ø → o) rather than drawn as boxes. Measures below are in logical pixels, multiplied by ``scale``; the
PNG is palette-based, optimised and carries no metadata, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont

# Okabe-Ito hues darkened to >= 5.5:1 against white: dark blue, orange-brown, dark teal, plum.
PALETTE: tuple[str, ...] = ("#1f5fa8", "#a34f00", "#00766c", "#8e3b7a")

BACKGROUND, INK, MUTED, GRID = "#ffffff", "#1a1a1a", "#555555", "#d9d9d9"
PAD, GAP, SWATCH = 16, 8, 10
TITLE_SIZE, TEXT_SIZE, SMALL_SIZE = 16, 12, 11
BAR, BAR_GAP, GROUP_GAP = 14, 2, 12  # horizontal: bar thickness, between bars, between groups
PLOT_HEIGHT = 220  # vertical charts: height of the bar area
ELLIPSIS = "\u2026"
#: DejaVu Sans ships with the app (every Latin, Greek and Cyrillic letter), so charts look the same on
#: every host; the others are tried only if that file went missing.
VENDORED_FONT = str(Path(__file__).resolve().parents[2] / "intranet" / "static" / "fonts" / "DejaVuSans.ttf")
FONT_FILES = (
    VENDORED_FONT,
    "DejaVuSans.ttf",
    "LiberationSans-Regular.ttf",
    "NotoSans-Regular.ttf",
    "Arial.ttf",
)
AILERON = frozenset(map(chr, range(32, 127))) | frozenset("©«°±´·»‘’“”…‹›⁄")
PLAIN = {
    "ø": "o",
    "Ø": "O",
    "æ": "ae",
    "Æ": "AE",
    "ß": "ss",
    "œ": "oe",
    "Œ": "OE",
    "þ": "th",
    "đ": "d",
    "–": "-",
    "—": "-",
}


@dataclass(frozen=True)
class Series:
    label: str  # legend text, already translated
    values: list[int]  # one per category
    color: str  # hex, e.g. "#1f5fa8"


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


def printable(text: str, font: ImageFont.FreeTypeFont) -> str:
    """`text`, with letters the built-in Aileron lacks spelt without their marks (other fonts: as is)."""
    if font.getname()[0] != "Aileron":
        return text
    return "".join(c if c in AILERON else PLAIN.get(c) or _stripped(c) or "?" for c in text)


def _stripped(c: str) -> str:
    return "".join(d for d in unicodedata.normalize("NFKD", c) if d in AILERON)


def nice_step(top: int, ticks: int = 5) -> int:
    """The smallest integer step of 1, 2 or 5 times a power of ten giving at most `ticks` intervals."""
    raw = max(top / ticks, 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def fit(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """`text`, cut and ended with an ellipsis if it is wider than `width` pixels."""
    text = printable(text, font)
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + ELLIPSIS) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def _legend(series: list[Series], font: ImageFont.FreeTypeFont, left: int, width: int, s: int):
    """Entries (x, row, colour, label) of the legend, wrapped onto rows within `width`."""
    items, x, row = [], left, 0
    for one in series:
        label = fit(one.label, font, width - (SWATCH + 6) * s)
        item = (SWATCH + 6) * s + round(font.getlength(label))
        if x > left and x + item > left + width:
            x, row = left, row + 1
        items.append((x, row, one.color, label))
        x += item + 16 * s
    return items, (row + 1 if items else 0)


def _header(draw: ImageDraw.ImageDraw, title: str, legend: list, width: int, s: int) -> None:
    title_f = _font(TITLE_SIZE * s)
    draw.text((PAD * s, PAD * s), fit(title, title_f, width - 2 * PAD * s), INK, title_f)
    top, line = (PAD + TITLE_SIZE + GAP + 4) * s, (TEXT_SIZE + 6) * s
    for x, row, color, label in legend:
        y = top + row * line
        draw.rectangle((x, y, x + SWATCH * s - 1, y + SWATCH * s - 1), fill=color)
        draw.text((x + (SWATCH + 6) * s, y + SWATCH * s // 2), label, INK, _font(TEXT_SIZE * s), anchor="lm")


def grouped_bars(
    title: str,
    categories: list[str],
    series: list[Series],
    *,
    horizontal: bool,
    width: int = 640,
    scale: int = 2,
    empty_text: str = "No data",
) -> bytes:
    """A PNG grouped bar chart, `width * scale` pixels wide, drawn at `scale`x for sharp display.

    horizontal=True: one row of bars per category (departments; labels on the left, ellipsised to at
    most 35% of the width), the height growing with the categories; False: one column group per
    category (months; labels under the axis), a fixed height. Title, legend, each bar's value at its
    end (0 too), gridlines at a 1/2/5*10^n step. No categories or no positive value: the title and
    `empty_text`. Negative values are drawn as 0 (their number is still printed).
    """
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(
                f"series {one.label!r} has {len(one.values)} values for {len(categories)} categories"
            )
    s, w = scale, width * scale
    text_f, small_f = _font(TEXT_SIZE * s), _font(SMALL_SIZE * s)
    top_value = max((v for one in series for v in one.values), default=0)
    if not categories or top_value <= 0:
        image = Image.new("RGB", (w, (PAD * 2 + TITLE_SIZE + GAP + 80) * s), BACKGROUND)
        draw = ImageDraw.Draw(image)
        _header(draw, title, [], w, s)
        middle = (w // 2, (PAD + TITLE_SIZE + GAP + 40) * s)
        draw.text(middle, fit(empty_text, text_f, w - 2 * PAD * s), MUTED, text_f, anchor="mm")
        return _png(image, [])

    step = nice_step(top_value)
    axis_max = -(-top_value // step) * step
    legend, legend_rows = _legend(series, text_f, PAD * s, w - 2 * PAD * s, s)
    plot_top = (PAD + TITLE_SIZE + GAP + 4 + legend_rows * (TEXT_SIZE + 6) + GAP) * s
    value_w = round(small_f.getlength(str(axis_max))) + 6 * s
    if horizontal:
        label_w = min(max(round(text_f.getlength(printable(c, text_f))) for c in categories), int(w * 0.35))
        x0, x1 = PAD * s + label_w + GAP * s, w - PAD * s - value_w
        group = len(series) * BAR * s + (len(series) - 1) * BAR_GAP * s
        plot_bottom = plot_top + GAP * s + len(categories) * (group + GROUP_GAP * s)
        height = plot_bottom + (SMALL_SIZE + 6 + PAD) * s
    else:
        x0, x1 = PAD * s + value_w + GAP * s, w - PAD * s
        plot_bottom = plot_top + (SMALL_SIZE + 6 + PLOT_HEIGHT) * s
        height = plot_bottom + (TEXT_SIZE + 6 + PAD) * s
    image = Image.new("RGB", (w, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    _header(draw, title, legend, w, s)

    if horizontal:
        span = x1 - x0
        for tick in range(0, axis_max + 1, step):
            x = x0 + round(tick * span / axis_max)
            draw.line((x, plot_top, x, plot_bottom), fill=GRID, width=s)
            draw.text((x, plot_bottom + 4 * s), str(tick), MUTED, small_f, anchor="mt")
        for i, category in enumerate(categories):
            y = plot_top + GAP * s + i * (group + GROUP_GAP * s)
            draw.text(
                (x0 - GAP * s, y + group // 2), fit(category, text_f, label_w), INK, text_f, anchor="rm"
            )
            for j, one in enumerate(series):
                v, by = max(one.values[i], 0), y + j * (BAR + BAR_GAP) * s
                end = x0 + round(v * span / axis_max)
                if end > x0:
                    draw.rectangle((x0, by, end - 1, by + BAR * s - 1), fill=one.color)
                draw.text((end + 4 * s, by + BAR * s // 2), str(one.values[i]), INK, small_f, anchor="lm")
        draw.rectangle((x0 - s, plot_top, x0 - 1, plot_bottom), fill=INK)  # left of the bars
    else:
        span, base = PLOT_HEIGHT * s, plot_bottom
        for tick in range(0, axis_max + 1, step):
            y = base - round(tick * span / axis_max)
            draw.line((x0, y, x1, y), fill=GRID, width=s)
            draw.text((x0 - 4 * s, y), str(tick), MUTED, small_f, anchor="rm")
        slot = (x1 - x0) / len(categories)
        bar = max(1, min(28 * s, int(slot * 0.75 / len(series))))
        for i, category in enumerate(categories):
            middle = x0 + slot * (i + 0.5)
            label = fit(category, text_f, max(slot - 4 * s, 1))
            draw.text((round(middle), base + 6 * s), label, INK, text_f, anchor="mt")
            for j, one in enumerate(series):
                v, bx = max(one.values[i], 0), round(middle - bar * len(series) / 2) + j * bar
                top = base - round(v * span / axis_max)
                if top < base:
                    draw.rectangle((bx, top, bx + bar - 1, base - 1), fill=one.color)
                draw.text((bx + bar // 2, top - 3 * s), str(one.values[i]), INK, small_f, anchor="mb")
        draw.rectangle((x0, base, x1, base + s - 1), fill=INK)  # under the bars
    return _png(image, [one.color for one in series])


def _png(image: Image.Image, colors: list[str]) -> bytes:
    """`image` as an optimised palette PNG without metadata; the series colours are kept exactly."""
    ink = ImageColor.getrgb(INK)
    # Grays for antialiased text, >= 10 levels apart: Pillow maps to a palette through a cache
    # that is exact only to 4 levels, and white must stay white.
    ramp = [tuple(round(c + (255 - c) * k / 23) for c in ink) for k in range(24)]
    fixed = [ImageColor.getrgb(c)[:3] for c in (BACKGROUND, GRID, MUTED, *colors)]
    entries = list(dict.fromkeys(fixed + ramp))[:256]
    palette = Image.new("P", (1, 1))
    palette.putpalette([channel for rgb in entries for channel in rgb])
    buffer = io.BytesIO()
    image.quantize(palette=palette, dither=Image.Dither.NONE).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
