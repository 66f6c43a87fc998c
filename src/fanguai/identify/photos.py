"""Photos of found persons: decoded, bounded, re-encoded as JPEG without any metadata (E7, H5).

Re-encoding from pixels drops EXIF (GPS, camera serial), ICC and comments; what is stored is a
new file made from the pixels alone.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from fanguai.errors import InvalidInput

MAX_BYTES = 1_500_000
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAX_SIDE = 1600  # stored photos are scaled to fit this box
ACCEPTED = ("JPEG", "PNG")


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo."""

    jpeg: bytes
    width: int
    height: int


def clean_photo(content: bytes) -> CleanPhoto:
    """Check and re-encode an uploaded photo; ``InvalidInput`` (field ``photo``) otherwise."""
    from PIL import Image, ImageOps

    if not content:
        raise InvalidInput("the photo is empty", field="photo")
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"the photo is larger than {MAX_BYTES} bytes", field="photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                if probe.format not in ACCEPTED:
                    raise InvalidInput("the photo must be a JPEG or PNG file", field="photo")
                if probe.width * probe.height > MAX_PIXELS:
                    raise InvalidInput("the photo has too many pixels", field="photo")
                probe.load()
                image = ImageOps.exif_transpose(probe).convert("RGB")
    except InvalidInput:
        raise
    except Exception:  # noqa: BLE001 - any decoder failure means the file is not a usable photo
        raise InvalidInput("the photo cannot be read as an image", field="photo") from None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    return CleanPhoto(out.getvalue(), image.width, image.height)
