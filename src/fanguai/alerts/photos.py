"""Photos of a missing child: checked to be an image, re-encoded (no EXIF, no GPS), bounded."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from fanguai.errors import InvalidInput

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAX_SIDE = 1600
ACCEPTED = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded JPEG and what is known about it."""

    data: bytes
    media_type: str
    width: int
    height: int
    sha256: str


def clean_photo(raw: bytes) -> CleanPhoto:
    """Decode an uploaded photo and re-encode it as JPEG without metadata; refuse non-images."""
    if not raw:
        raise InvalidInput("the photo is empty", field="photo")
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"the photo is over {MAX_BYTES // (1024 * 1024)} MB", field="photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in ACCEPTED:
                raise InvalidInput(
                    f"photo format {image.format} is not accepted (JPEG, PNG, WebP, GIF, BMP)",
                    field="photo",
                )
            if image.width * image.height > MAX_PIXELS:
                raise InvalidInput("the photo has too many pixels", field="photo")
            image.load()
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput("the file is not an image", field="photo") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("the photo has too many pixels", field="photo") from None
    # Honour the camera's orientation, then drop every tag with it (EXIF, GPS, comments).
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)
    data = out.getvalue()
    return CleanPhoto(
        data=data,
        media_type="image/jpeg",
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(data).hexdigest(),
    )
