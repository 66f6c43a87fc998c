"""Reading the lead forms (public report, hotline intake, mandatory report) and saying what is
wrong beside each field, in Chinese."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from fanguai.errors import DomainError
from fanguai.leads import catalogue
from fanguai.web.i18n import catalogue as messages
from fanguai.web.i18n import translate

TEXT_FIELDS = (
    "lead_type",
    "category",
    "description",
    "child_name",
    "child_sex",
    "child_age",
    "child_features",
    "last_seen_at",
    "county_code",
    "place_text",
    "lat",
    "lng",
    "anonymous",
    "reporter_name",
    "reporter_phone",
    "website",
    "challenge",
    "nonce",
    "idempotency_key",
)


def values_of(form: FormData) -> dict[str, str]:
    """The form's text fields as typed (to fill the form again after a refusal)."""
    out = {}
    for name in TEXT_FIELDS:
        value = form.get(name)
        out[name] = value.strip() if isinstance(value, str) else ""
    out["danger_now"] = "1" if form.get("danger_now") else ""
    return out


def _number(text: str) -> float | str | None:
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return text  # the model refuses it with a message on the field


def lead_data(values: dict[str, str], *, kind_field: str = "lead_type") -> dict[str, Any]:
    """The model input a form's values stand for."""
    child = {
        "name": values["child_name"] or None,
        "sex": values["child_sex"] or "unknown",
        "age": values["child_age"] or None,
        "features": values["child_features"] or None,
    }
    data: dict[str, Any] = {
        kind_field: values[kind_field],
        "description": values["description"],
        "child": child
        if any(v for k, v in child.items() if k != "sex") or child["sex"] != "unknown"
        else None,
        "last_seen_at": values["last_seen_at"] or None,
        "county_code": values["county_code"] or None,
        "place_text": values["place_text"] or None,
    }
    if kind_field == "lead_type":
        data["danger_now"] = bool(values["danger_now"])
        data["lat"] = _number(values["lat"])
        data["lng"] = _number(values["lng"])
        if values["anonymous"] == "0" and (values["reporter_name"] or values["reporter_phone"]):
            data["reporter"] = {
                "name": values["reporter_name"],
                "phone": values["reporter_phone"] or None,
            }
    return data


async def photos_of(form: FormData, *, limit: int) -> list[bytes]:
    """The photos sent with the form (at most ``limit`` bytes read from each)."""
    out = []
    for item in form.getlist("photos"):
        if isinstance(item, UploadFile) and item.filename:
            out.append(await item.read(limit + 1))
    return out


def _message(key: str, fallback: str = "leads.error.invalid") -> str:
    return translate(key) if key in messages() else translate(fallback)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Field name in the form → what is wrong, for each error of the model."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
        name = "_".join(loc) if loc else "lat"
        name = {"reporter_phone": "reporter_phone", "attachments_data_base64": "photos"}.get(
            name, name
        )
        errors.setdefault(name, _message(f"leads.error.{error['type']}"))
    return errors


def domain_error(exc: DomainError) -> tuple[str | None, str]:
    """(field, message) for a refusal of the service."""
    for key in (f"leads.error.{exc.code}.{exc.field}", f"leads.error.{exc.code}"):
        if key in messages():
            return exc.field, translate(key)
    return exc.field, translate("leads.error.invalid")


def refused_text(items: list[str]) -> list[str]:
    """``2:unsupported`` → 第2张照片：格式不支持（只收JPEG、PNG、WebP照片）."""
    out = []
    for item in items:
        position, _, reason = item.partition(":")
        out.append(
            translate(
                "leads.photo.refused",
                n=position,
                reason=_message(f"leads.photo.{reason}", "leads.photo.corrupt"),
            )
        )
    return out


def type_choices(kinds: tuple[str, ...] = catalogue.PUBLIC_TYPES) -> list[tuple[str, str]]:
    """(code, Chinese label) of the lead types offered."""
    return [(k, translate(f"leads.type.{k}")) for k in kinds]
