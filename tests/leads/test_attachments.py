"""E7 and H5: photos are size-limited, sniffed, decoded under a pixel limit and re-encoded
without metadata; whatever is refused, the lead itself is kept."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select

from fanguai.leads import catalogue
from fanguai.leads.attachments import AttachmentRefused, clean_image, sniff
from fanguai.leads.models import Lead, LeadAttachment, LeadEvent
from fanguai.leads.service import get_attachment_for
from tests.leads.conftest import lead_body, submit

SERIAL = "SERIAL-SENTINEL-4711"
AUTHOR = "AUTHOR-SENTINEL-Zhang"


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (400, 300), (200, 120, 60))
    exif = Image.Exif()
    exif[0x010F] = "SentinelCam"  # Make
    exif[0x0110] = "Model-SENTINEL"  # Model
    exif[0xA431] = SERIAL  # BodySerialNumber
    exif[0x0112] = 6  # Orientation: rotate 90°
    gps = {1: "N", 2: (31.0, 19.0, 33.6), 3: "E", 4: (120.0, 37.0, 40.8)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngInfo()
    info.add_text("Author", AUTHOR)
    info.add_text("Comment", "GPS 31.326,120.628")
    out = io.BytesIO()
    Image.new("RGBA", (64, 48), (10, 200, 30, 128)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def pdf_with_author() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"3 0 obj<</Author("
        + AUTHOR.encode()
        + b")>>endobj\ntrailer<</Root 1 0 R/Info 3 0 R>>\n%%EOF"
    )


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A tiny file that claims 3.6 billion pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _no_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert not [k for k in image.info if k.lower() in ("author", "comment", "text")]
    for marker in (SERIAL.encode(), AUTHOR.encode(), b"SentinelCam", b"Exif", b"GPS", b"31.326"):
        assert marker not in data


def test_a_jpeg_loses_its_gps_position_and_camera_serial_and_keeps_its_pixels() -> None:
    cleaned = clean_image(jpeg_with_gps())
    _no_metadata(cleaned.data)
    assert cleaned.content_type == "image/jpeg"
    # The orientation was applied to the pixels before the tag went away.
    assert (cleaned.width, cleaned.height) == (300, 400)


def test_a_png_loses_its_text_chunks() -> None:
    cleaned = clean_image(png_with_text())
    _no_metadata(cleaned.data)
    assert cleaned.content_type == "image/png"


def test_the_type_comes_from_the_bytes_not_from_the_name_or_declared_type() -> None:
    assert sniff(png_with_text()) == "png" and sniff(pdf_with_author()) == "pdf"
    assert sniff(b"<html><script>") is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (pdf_with_author(), "unsupported"),
        (b"GIF89a" + b"\x00" * 20, "unsupported"),
        (b"PK\x03\x04zipped", "unsupported"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "corrupt"),
        (png_bomb(), "too_many_pixels"),
        (b"", "empty"),
        (b"\xff\xd8\xff" + b"\x00" * (catalogue.MAX_ATTACHMENT_BYTES + 1), "too_large"),
    ],
    ids=["pdf", "gif", "zip", "truncated-jpeg", "decompression-bomb", "empty", "too-large"],
)
def test_refused_files_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        clean_image(data)
    assert refused.value.reason == reason


def _b64(data: bytes) -> dict:
    return {"data_base64": base64.b64encode(data).decode()}


def test_a_lead_is_kept_when_its_attachments_are_refused_and_stores_only_clean_photos(
    client, session, field_crypto, login
) -> None:  # type: ignore[no-untyped-def]
    from fanguai.org.models import User
    from fanguai.security.service import actor_for_user

    photos = [jpeg_with_gps(), pdf_with_author(), png_bomb(), png_with_text(), jpeg_with_gps()]
    photos.append(jpeg_with_gps())  # a fourth good photo: over the limit of three
    r = submit(client, lead_body(attachments=[_b64(p) for p in photos]))
    assert r.status_code == 201, r.text
    assert r.json()["refused_attachments"] == ["2:unsupported", "3:too_many_pixels", "6:too_many"]
    session.expire_all()
    lead = session.execute(
        select(Lead).where(Lead.tracking_code == r.json()["tracking_code"])
    ).scalar_one()
    stored = (
        session.execute(select(LeadAttachment).where(LeadAttachment.lead_id == lead.id))
        .scalars()
        .all()
    )
    assert len(stored) == 3
    officer = actor_for_user(
        session.execute(select(User).where(User.username == "gusu.police")).scalar_one()
    )
    for attachment in stored:
        assert AUTHOR not in attachment.data and "fg1:" in attachment.data  # encrypted at rest
        content_type, data = get_attachment_for(
            session, field_crypto, actor=officer, public_id=attachment.public_id
        )
        _no_metadata(data)
    refusals = (
        session.execute(
            select(LeadEvent).where(
                LeadEvent.lead_id == lead.id, LeadEvent.kind == "attachment_refused"
            )
        )
        .scalars()
        .all()
    )
    assert len(refusals) == 3
    # The photo is served to the lead's unit only.
    own = login("gusu.police").get(f"/leads/attachments/{stored[0].public_id}")
    assert own.status_code == 200 and own.headers["content-type"].startswith("image/")
    assert (
        login("wuzhong.police").get(f"/leads/attachments/{stored[0].public_id}").status_code == 404
    )


def test_undecodable_base64_is_refused_as_a_damaged_photo_not_as_a_bad_lead(client) -> None:  # type: ignore[no-untyped-def]
    r = submit(client, lead_body(attachments=[{"data_base64": "!!!not base64!!!"}]))
    assert r.status_code == 201 and r.json()["refused_attachments"] == ["1:empty"]
