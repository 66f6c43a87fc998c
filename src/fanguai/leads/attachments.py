"""Photos sent with a lead (E7, H5): size-limited, type sniffed from the bytes, decoded with a
pixel limit (no decompression bombs), and re-encoded from the pixels alone, so that no EXIF,
GPS position, camera serial, ICC profile or text chunk of the original survives.

Only JPEG, PNG and WebP photos are taken; anything else (PDF, office files, archives) is refused
with a reason, and the lead it came with is kept all the same.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from fanguai.leads import catalogue

ACCEPTED = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


class AttachmentRefused(Exception):
    """An attachment that is not kept; ``reason`` is a code the pages translate."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image, ready to store."""

    content_type: str
    data: bytes
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The file type the bytes themselves show (the declared type is never trusted)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _decode(data: bytes, kind: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[ACCEPTED[kind]])
            # The header alone tells the size: refuse before a single pixel is decoded.
            if image.width * image.height > catalogue.MAX_IMAGE_PIXELS:
                raise AttachmentRefused("too_many_pixels", f"{image.width}x{image.height}")
            image.load()
    except AttachmentRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AttachmentRefused("too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AttachmentRefused("corrupt", type(exc).__name__) from None
    return image


def clean_image(data: bytes) -> CleanImage:
    """Check and re-encode one photo, or raise ``AttachmentRefused``."""
    if len(data) > catalogue.MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused("too_large", f"{len(data)} bytes")
    if not data:
        raise AttachmentRefused("empty")
    kind = sniff(data)
    if kind not in ACCEPTED:
        raise AttachmentRefused("unsupported", kind or "unknown")
    image = _decode(data, kind)
    # Turn the pixels the way the camera meant (the orientation tag goes with the metadata).
    image = ImageOps.exif_transpose(image)
    image.thumbnail((catalogue.MAX_IMAGE_SIDE, catalogue.MAX_IMAGE_SIDE))
    keep_alpha = kind == "png" and image.mode in ("RGBA", "LA", "P")
    pixels = image.convert("RGBA" if keep_alpha else "RGB")
    # A new image from the pixels alone: no info dictionary, no EXIF, no ICC profile.
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if kind == "png":
        bare.save(out, format="PNG", optimize=False)
        content_type = "image/png"
    else:
        bare.save(out, format="JPEG", quality=85)
        content_type = "image/jpeg"
    return CleanImage(content_type, out.getvalue(), bare.width, bare.height)
