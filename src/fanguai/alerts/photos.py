"""Photos of a missing child: checked to be an image, re-encoded (no EXIF, no GPS), bounded."""

from __future__ import annotations

import base64
import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanguai.alerts.models import CasePhoto, MissingCase
from fanguai.crypto.fields import SubjectShredded
from fanguai.errors import InvalidInput
from fanguai.identify.fields import Sealer, sealer_for
from fanguai.people.models import Person
from fanguai.security.crypto_runtime import field_crypto

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


# ---------------------------------------------------------------- storage (field-encrypted)


def _sealer(session: Session, case: MissingCase, photo_public_id: str) -> Sealer:
    person = session.get(Person, case.person_id)
    assert person is not None
    return sealer_for(field_crypto(), person, "missing_case_photo", photo_public_id)


def seal_photo(session: Session, case: MissingCase, photo: CasePhoto, jpeg: bytes) -> None:
    """Put ``jpeg`` into ``photo.content``, encrypted under the child's data key (the photo
    is shredded with the child's key on erasure); the clear column stays empty."""
    token = _sealer(session, case, photo.public_id).seal(
        "content", base64.b64encode(jpeg).decode("ascii")
    )
    photo.content = token
    photo.data = None


def _child(
    session: Session, photo: CasePhoto, *, check_key: bool = True
) -> tuple[MissingCase, Person] | None:
    """The photo's case and child, or None when the child is erased or their key shredded
    (``people.erase`` shreds the key and does not touch case photos)."""
    case = session.get(MissingCase, photo.case_id)
    if case is None:
        return None
    person = session.get(Person, case.person_id)
    if person is None or person.erased_at is not None:
        return None
    if check_key and field_crypto().keystore.is_shredded(person.subject_id):
        return None
    return case, person


def photo_bytes(session: Session, photo: CasePhoto) -> bytes | None:
    """The photo in clear, for the response being built only (None once the child is erased
    or their key shredded). A photo stored before migration 0016 is still read from ``data``,
    never for an erased child."""
    # A sealed photo needs no look-up of the key: opening it fails once the key is shredded.
    child = _child(session, photo, check_key=photo.content is None)
    if child is None:
        return None
    if photo.content is None:
        return photo.data
    try:
        text = _sealer(session, child[0], photo.public_id).open("content", photo.content)
    except SubjectShredded:
        return None
    return base64.b64decode(text or "")


def encrypt_legacy(session: Session, *, limit: int = 200) -> int:
    """Encrypt up to ``limit`` photos still held in clear, inside the caller's action; returns
    how many were handled (0 once none is left, so running it again changes nothing).

    A photo whose child is erased (or whose key is shredded), or whose case is gone, cannot be
    sealed under the child's key and must not be kept in clear either: it is deleted. Every row
    taken is thus sealed or deleted, so one such row never holds back the others."""
    rows = (
        session.execute(
            select(CasePhoto)
            .where(CasePhoto.content.is_(None), CasePhoto.data.is_not(None))
            .order_by(CasePhoto.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    for photo in rows:
        child = _child(session, photo)
        assert photo.data is not None
        if child is not None:
            try:
                seal_photo(session, child[0], photo, photo.data)
                continue
            except SubjectShredded:  # shredded since the check above
                pass
        session.delete(photo)
    session.flush()
    return len(rows)


def decrypt_back(session: Session, *, limit: int = 200) -> int:
    """The reverse of ``encrypt_legacy`` (only to downgrade the schema below 0016)."""
    rows = (
        session.execute(
            select(CasePhoto)
            .where(CasePhoto.content.is_not(None))
            .order_by(CasePhoto.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    done = 0
    for photo in rows:
        data = photo_bytes(session, photo)
        if data is None:
            session.delete(photo)  # shredded with the child's key: unreadable for good
            done += 1
            continue
        photo.data = data
        photo.content = None
        done += 1
    return done
