"""The digest's PNG charts: valid, deterministic, small images whose bars are really drawn to scale."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image, ImageColor

from suggestions.digest import charts
from suggestions.digest.charts import PALETTE, Series, grouped_bars, nice_step

WHITE = (255, 255, 255)
DEPARTMENTS = ["Økonomi og lønn", "IT", "HR", "Kundeservice"]
MONTHS = ["jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"]


def _series(n: int, count: int) -> list[Series]:
    return [Series(f"Serie {i}", [(i + 1) * (k + 1) for k in range(n)], PALETTE[i]) for i in range(count)]


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


def _mask(image: Image.Image, color: str) -> list[list[bool]]:
    rgb, (w, h) = bytes(ImageColor.getrgb(color)), image.size
    data = image.convert("RGB").tobytes()
    return [[data[3 * (y * w + x) : 3 * (y * w + x) + 3] == rgb for x in range(w)] for y in range(h)]


def _runs(flags: list[bool]) -> list[range]:
    runs, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append(range(start, i))
            start = None
    return runs


def _horizontal_lengths(image: Image.Image, color: str) -> list[int]:
    """Length of each bar of `color`, top to bottom (rows of the colour; the first run is the legend)."""
    mask = _mask(image, color)
    runs = _runs([any(row) for row in mask])
    return [max(sum(mask[y]) for y in run) for run in runs[1:]]


def _vertical_heights(image: Image.Image, color: str) -> list[int]:
    """Height of each bar of `color`, left to right, counted up from the lowest row of the colour."""
    mask = _mask(image, color)
    base = max(y for y, row in enumerate(mask) if any(row))

    def height(x: int) -> int:
        y = base
        while y >= 0 and mask[y][x]:
            y -= 1
        return base - y

    return [height(run[len(run) // 2]) for run in _runs(mask[base])]


def _chunks(data: bytes) -> list[bytes]:
    names, i = [], 8
    while i < len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        names.append(data[i + 4 : i + 8])
        i += 12 + length
    return names


@pytest.mark.parametrize(("width", "scale"), [(640, 2), (480, 1), (300, 3)])
@pytest.mark.parametrize("horizontal", [True, False])
def test_a_png_of_width_times_scale_on_white(width, scale, horizontal):
    image = _image(
        grouped_bars("T", DEPARTMENTS, _series(4, 3), horizontal=horizontal, width=width, scale=scale)
    )
    assert image.width == width * scale
    assert image.convert("RGB").getpixel((0, 0)) == WHITE
    assert image.convert("RGB").getpixel((image.width - 1, image.height - 1)) == WHITE


def test_horizontal_height_grows_with_categories():
    heights = [
        _image(grouped_bars("T", [f"Avd {i}" for i in range(n)], _series(n, 2), horizontal=True)).height
        for n in (1, 2, 5, 20)
    ]
    assert heights == sorted(set(heights))


def test_vertical_height_does_not_depend_on_the_number_of_months():
    one = _image(grouped_bars("T", MONTHS[:1], _series(1, 2), horizontal=False))
    twelve = _image(grouped_bars("T", MONTHS, _series(12, 2), horizontal=False))
    assert one.height == twelve.height


@pytest.mark.parametrize("horizontal", [True, False])
def test_deterministic_small_and_without_metadata(horizontal):
    args = ("Forbedringer – 2025", [f"Avdeling {i}" for i in range(12)], _series(12, 3))
    first = grouped_bars(*args, horizontal=horizontal)
    charts._font.cache_clear()
    assert grouped_bars(*args, horizontal=horizontal) == first
    assert len(first) < 60_000
    assert not set(_chunks(first)) & {b"tIME", b"tEXt", b"zTXt", b"iTXt", b"eXIf"}
    assert _image(first).mode == "P"


@pytest.mark.parametrize("horizontal", [True, False])
@pytest.mark.parametrize(
    ("categories", "series"),
    [
        ([], []),
        ([], [Series("A", [], PALETTE[0])]),
        (DEPARTMENTS, []),
        (DEPARTMENTS, [Series("A", [0, 0, 0, 0], PALETTE[0]), Series("B", [0, 0, 0, 0], PALETTE[1])]),
    ],
)
def test_no_data_draws_the_title_and_the_empty_text(horizontal, categories, series):
    data = grouped_bars("Tittel", categories, series, horizontal=horizontal, empty_text="Ingen data")
    image = _image(data).convert("RGB")
    assert image.width == 1280
    assert image.getcolors(1 << 20) and len(image.getcolors(1 << 20)) > 2  # some text was drawn
    assert not any(any(row) for row in _mask(image, PALETTE[0]))
    assert data != grouped_bars("Tittel", categories, series, horizontal=horizontal, empty_text="")


def test_values_must_match_the_categories():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        grouped_bars("T", ["a", "b", "c"], [Series("A", [1, 2], PALETTE[0])], horizontal=True)


def test_horizontal_bars_are_drawn_to_scale():
    a, b = Series("A", [5, 20], PALETTE[0]), Series("B", [12, 1], PALETTE[1])
    image = _image(grouped_bars("T", ["Økonomi og lønn", "IT"], [a, b], horizontal=True))
    long_a, long_b = _horizontal_lengths(image, a.color), _horizontal_lengths(image, b.color)
    assert len(long_a) == len(long_b) == 2
    full = long_a[1]  # 20 is the axis' end (step 5)
    assert full > image.width * 0.4
    for lengths, values in ((long_a, a.values), (long_b, b.values)):
        for length, value in zip(lengths, values, strict=True):
            assert abs(length - value / 20 * full) <= 1


def test_vertical_bars_are_drawn_to_scale():
    a, b = Series("A", [3, 8, 0], PALETTE[0]), Series("B", [6, 1, 10], PALETTE[2])
    image = _image(grouped_bars("T", MONTHS[:3], [a, b], horizontal=False))
    high_a, high_b = _vertical_heights(image, a.color), _vertical_heights(image, b.color)
    assert len(high_a) == 2  # the 0 draws no bar
    assert len(high_b) == 3
    full = high_b[2]  # 10 is the axis' end (step 2)
    assert high_a[0] < high_b[0] and high_a[1] > high_b[1]
    for height, value in zip(high_a + high_b, [3, 8, 6, 1, 10], strict=True):
        assert abs(height - value / 10 * full) <= 1


def test_a_zero_value_is_still_printed():
    a, b = Series("A", [3], PALETTE[0]), Series("B", [0], PALETTE[1])
    image = _image(grouped_bars("T", ["IT"], [a, b], horizontal=True, scale=2)).convert("RGB")
    mask = _mask(image, a.color)
    bar = _runs([any(row) for row in mask])[1]
    x0 = next(x for x, on in enumerate(mask[bar.start]) if on)
    below = range(bar.stop + 2 * 2, bar.stop + 2 * 2 + 14 * 2)  # the next bar's band: gap 2, bar 14
    dark = [(x, y) for y in below for x in range(x0, x0 + 40) if sum(image.getpixel((x, y))) < 300]
    assert dark  # the "0"


@pytest.mark.parametrize("horizontal", [True, False])
def test_long_and_non_ascii_labels(horizontal):
    categories = ["Økonomi og lønn", "Forsyningsavdelingen for æøå ÆØÅ é ü ß " * 6, "x" * 500]
    series = [
        Series("Foreslått – ærlig talt " * 10, [4, 2, 7], PALETTE[0]),
        Series("Innført", [1, 0, 3], PALETTE[1]),
    ]
    image = _image(grouped_bars("Målt på ØKONOMI " * 20, categories, series, horizontal=horizontal))
    assert image.width == 1280
    if horizontal:  # the label column is capped, so the bars keep their room
        assert max(_horizontal_lengths(image, PALETTE[0])) > image.width * 0.4


def test_fit_ellipsises_to_the_width():
    font = charts._font(24)
    text = charts.fit("Kommunikasjon og samfunnskontakt", font, 150)
    assert text.endswith("…") and font.getlength(text) <= 150
    assert charts.fit("IT", font, 150) == "IT"


@pytest.fixture
def builtin_font(monkeypatch):
    monkeypatch.setattr(charts, "FONT_FILES", ())
    charts._font.cache_clear()
    yield
    charts._font.cache_clear()


def _has_glyphs(font, text: str) -> bool:
    missing = bytes(font.getmask("\uffff"))
    return all(bytes(font.getmask(c)) != missing for c in text if not c.isspace())


def test_non_ascii_letters_get_real_glyphs():
    font = charts._font(24)
    assert _has_glyphs(font, charts.printable("Økonomi og lønn, Ærø, café, Müller", font))


def test_builtin_font_spells_letters_it_lacks_without_marks(builtin_font):
    font = charts._font(24)
    assert font.getname()[0] == "Aileron"
    assert (
        charts.printable("Økonomi og lønn – Ærø, café, Müller", font)
        == "Okonomi og lonn - AEro, cafe, Muller"
    )
    assert _has_glyphs(font, charts.printable("Økonomi og lønn", font))
    _image(grouped_bars("Økonomi", DEPARTMENTS, _series(4, 2), horizontal=True))


@pytest.mark.parametrize(
    ("top", "step"), [(1, 1), (4, 1), (5, 1), (6, 2), (7, 2), (10, 2), (12, 5), (25, 5), (26, 10), (999, 200)]
)
def test_nice_step(top, step):
    assert nice_step(top) == step
    assert -(-top // step) <= 5


def _luminance(color: str) -> float:
    def linear(c: int) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in ImageColor.getrgb(color)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("color", PALETTE)
def test_palette_contrast_against_white_is_at_least_4_5(color):
    assert (1.05) / (_luminance(color) + 0.05) >= 4.5


def test_palette_has_three_or_four_distinct_colours():
    assert 3 <= len(PALETTE) <= 4
    assert len({ImageColor.getrgb(c) for c in PALETTE}) == len(PALETTE)
