"""Does a PDF page render its Chinese text? Render it to an image and look at the glyphs.

Text extraction alone would pass a PDF whose font lacks the glyphs (the text is there, the page
shows empty boxes). So each Chinese character of a line is cut out of the rendered image by its
box: every one must carry ink, and different characters must look different (missing glyphs
all render as the same box or as nothing).
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

SCALE = 3


def render_page(pdf: bytes, index: int = 0, save_to: Path | None = None):  # type: ignore[no-untyped-def]
    """The page as a PIL image, and the page's text with each character's box in pixels."""
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        height = page.get_height()
        image = page.render(scale=SCALE).to_pil().convert("RGB")
        text = page.get_textpage()
        chars = []
        for i in range(text.count_chars()):
            ch = text.get_text_range(i, 1)
            left, bottom, right, top = text.get_charbox(i)
            box = (
                int(left * SCALE),
                int((height - top) * SCALE),
                int(right * SCALE) + 1,
                int((height - bottom) * SCALE) + 1,
            )
            chars.append((ch, box))
        full = text.get_text_range()
        text.close()
        page.close()
    finally:
        doc.close()
    if save_to is not None:
        image.save(save_to)
    return image, full, chars


def glyph_problems(image, chars, line: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What is wrong with how ``line`` (a run of distinct CJK characters) was drawn, if anything."""
    text = "".join(ch for ch, _ in chars)
    start = text.find(line)
    if start < 0:
        return [f"{line!r} not in the page's text"]
    problems = []
    image = image.convert("L")
    crops: dict[str, bytes] = {}
    for ch, box in chars[start : start + len(line)]:
        crop = image.crop(box)
        dark = sum(crop.histogram()[:128])
        if dark < 10:
            problems.append(f"{ch!r} has no ink")
        crops.setdefault(ch, crop.resize((24, 24)).tobytes())
    seen: dict[bytes, str] = {}
    for ch, pixels in crops.items():
        if pixels in seen:
            problems.append(f"{ch!r} looks the same as {seen[pixels]!r}")
        seen[pixels] = ch
    return problems
