"""A small Code 128 reader for the label tests: it reads the bars of a label's PDF (the filled
rectangles of the barcode's height) and decodes them with the standard's own table, so the test
does not trust the encoder it checks. It also paints those bars into a PNG image."""

from io import BytesIO

from PIL import Image, ImageDraw
from pypdf import PdfReader
from pypdf.generic import ContentStream

# ISO/IEC 15417 symbol widths (bar, space, bar, space, bar, space), values 0 to 105; then stop.
PATTERNS = (  # noqa: SIM905 - the 107 patterns read better as the standard's table
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 "
    "112232 122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 "
    "311222 321122 321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 "
    "112313 132113 132311 211313 231113 231311 112133 112331 132131 113123 113321 133121 "
    "313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 "
    "314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 "
    "122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212 "
    "124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113 "
    "114311 411113 411311 113141 114131 311141 411131 211412 211214 211232"
).split()
STOP = "2331112"
VALUES = {pattern: value for value, pattern in enumerate(PATTERNS)}
START = {103: "A", 104: "B", 105: "C"}
SWITCH = {99: "C", 100: "B", 101: "A"}


class DecodeError(ValueError):
    pass


def bars_from_pdf(pdf: bytes, *, bar_height: float) -> list[tuple[float, float]]:
    """(x, width) of the filled rectangles `bar_height` points high, left to right."""
    page = PdfReader(BytesIO(pdf)).pages[0]
    operations = ContentStream(page.get_contents(), page.pdf).operations
    bars = [
        (float(x), float(w))
        for (x, _y, w, h), op in ((operands, op) for operands, op in operations if op == b"re")
        if abs(float(h) - bar_height) < 0.01
    ]
    return sorted(bars)


def widths_from_bars(bars: list[tuple[float, float]], module: float) -> str:
    """The run widths in modules: bar, space, bar, ... ("2112..")."""
    runs = []
    for index, (x, width) in enumerate(bars):
        if index:
            previous_x, previous_w = bars[index - 1]
            runs.append(round((x - previous_x - previous_w) / module))
        runs.append(round(width / module))
    if any(run < 1 or run > 4 for run in runs):
        raise DecodeError(f"run widths out of range: {runs}")
    return "".join(str(run) for run in runs)


def decode_widths(widths: str) -> str:
    """The text a Code 128 symbol of these run widths encodes; checks the checksum."""
    if not widths.endswith(STOP) or (len(widths) - len(STOP)) % 6:
        raise DecodeError("no stop pattern, or a broken symbol")
    try:
        values = [VALUES[widths[i : i + 6]] for i in range(0, len(widths) - len(STOP), 6)]
    except KeyError as exc:
        raise DecodeError(f"unknown symbol {exc}") from None
    *data, checksum = values
    if (
        data[0] + sum(position * value for position, value in enumerate(data[1:], 1))
    ) % 103 != checksum:
        raise DecodeError("bad checksum")
    if data[0] not in START:
        raise DecodeError("no start symbol")
    code, text = START[data[0]], []
    for value in data[1:]:
        if value in SWITCH and (code != "C" or value != 99):  # in set C, 99 is "99"
            code = SWITCH[value]
        elif code == "C":
            text.append(f"{value:02d}")
        elif code == "B":
            text.append(chr(value + 32))
        else:
            text.append(chr(value + 32) if value < 64 else chr(value - 64))
    return "".join(text)


def bars_to_png(bars: list[tuple[float, float]], *, scale: float = 4.0, height: int = 80) -> bytes:
    """The bars painted black on white with quiet zones: the barcode as an image."""
    left = bars[0][0]
    right = bars[-1][0] + bars[-1][1]
    quiet = 20
    image = Image.new("L", (int((right - left) * scale) + 2 * quiet, height), 255)
    draw = ImageDraw.Draw(image)
    for x, width in bars:
        x0 = quiet + (x - left) * scale
        draw.rectangle([round(x0), 0, round(x0 + width * scale) - 1, height - 1], fill=0)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
