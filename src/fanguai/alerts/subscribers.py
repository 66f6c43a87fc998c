"""Subscribers and endpoints: who receives alerts, through what, and the index that finds them.

A subscriber has a channel (internal, webhook, email, sms) and, except partner platforms, a
point. Internal subscribers are police units, told through the platform's outbox; the others
go through an endpoint: a partner's webhook, an SMTP relay or an SMS gateway.
"""

from __future__ import annotations

import calendar
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from fanguai.alerts.models import (
    CHANNEL_ENDPOINT,
    CHANNELS,
    ENDPOINT_KINDS,
    HUB_TYPES,
    SUBSCRIBER_KINDS,
    AlertEndpoint,
    AlertSubscriber,
)
from fanguai.alerts.spatial import GridIndex, Ring, haversine_km
from fanguai.core.actor import Actor
from fanguai.crypto.fields import mask
from fanguai.errors import Conflict, InvalidInput, NotFound
from fanguai.geo.service import OutsideJiangsu, locate
from fanguai.org.models import Unit
from fanguai.security.crypto_runtime import field_crypto
from fanguai.security.scope import covers, covers_clause

# Which channels each kind of subscriber may use.
KIND_CHANNELS = {
    "police_unit": ("internal",),
    "transport_hub": ("webhook", "email", "sms"),
    "volunteer": ("email", "sms"),
    "app_user": ("webhook",),
    "partner": ("webhook",),
}
CHANNEL_CODE = {name: i for i, name in enumerate(CHANNELS)}
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
PHONE = re.compile(r"^\+?[0-9]{5,20}$")


# ---------------------------------------------------------------- endpoints


def check_endpoint(data: Mapping[str, Any]) -> dict[str, Any]:
    """A new endpoint's fields, checked (name, kind, url, secret, sender, batch_size)."""
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput("the endpoint needs a name (up to 80 characters)", field="name")
    kind = data.get("kind")
    if kind not in ENDPOINT_KINDS:
        raise InvalidInput(
            f"endpoint kind must be one of {', '.join(ENDPOINT_KINDS)}", field="kind"
        )
    url = str(data.get("url") or "").strip()
    parts = urlsplit(url)
    schemes = ("smtp", "smtps") if kind == "smtp" else ("http", "https")
    if parts.scheme not in schemes or not parts.hostname or len(url) > 300:
        raise InvalidInput(f"the URL must be {' or '.join(schemes)}://host…", field="url")
    secret = data.get("secret") or None
    if kind != "smtp" and (not secret or len(secret) < 16):
        raise InvalidInput(
            "a webhook or SMS gateway needs a secret of 16+ characters", field="secret"
        )
    sender = (data.get("sender") or "").strip() or None
    if kind == "smtp" and (sender is None or not EMAIL.match(sender)):
        raise InvalidInput("an SMTP endpoint needs a sender address", field="sender")
    batch_size = data.get("batch_size", 500)
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int)
        or not 1 <= batch_size <= 5000
    ):
        raise InvalidInput("batch size must be 1 to 5000", field="batch_size")
    return {
        "name": name,
        "kind": kind,
        "url": url,
        "secret": secret,
        "sender": sender,
        "batch_size": batch_size,
    }


def add_endpoint(session: Session, data: Mapping[str, Any]) -> AlertEndpoint:
    """Register an endpoint inside the caller's action; its secret is field-encrypted."""
    values = check_endpoint(data)
    if session.execute(
        select(AlertEndpoint.id).where(AlertEndpoint.name == values["name"])
    ).first():
        raise Conflict("an endpoint with this name exists", field="name")
    endpoint = AlertEndpoint(**{**values, "secret": None})
    session.add(endpoint)
    session.flush()
    if values["secret"]:
        endpoint.secret = field_crypto().encrypt(
            values["secret"],
            subject_id=f"alert_endpoint:{endpoint.public_id}",
            table="alert_endpoint",
            column="secret",
            row_id=endpoint.public_id,
        )
    return endpoint


def endpoint_secret(endpoint: AlertEndpoint) -> str | None:
    """The endpoint's secret in clear (for signing at send time)."""
    if endpoint.secret is None:
        return None
    return field_crypto().decrypt(
        endpoint.secret,
        subject_id=f"alert_endpoint:{endpoint.public_id}",
        table="alert_endpoint",
        column="secret",
        row_id=endpoint.public_id,
    )


def _find_endpoint(session: Session, ref: str | None, channel: str) -> AlertEndpoint:
    wanted = CHANNEL_ENDPOINT[channel]
    query = select(AlertEndpoint).where(
        AlertEndpoint.kind == wanted, AlertEndpoint.active.is_(True)
    )
    if ref:
        query = query.where((AlertEndpoint.public_id == ref) | (AlertEndpoint.name == ref))
    endpoint = session.execute(query.order_by(AlertEndpoint.id)).scalars().first()
    if endpoint is None:
        raise InvalidInput(
            f"no active {wanted} endpoint {ref or ''} for this channel".replace("  ", " "),
            field="endpoint",
        )
    return endpoint


# ---------------------------------------------------------------- subscribers


# Scope: a subscriber with a point belongs to the county the point lies in (``county_code``,
# kept after the retention erasure); staff manage those their jurisdiction covers. Partners
# (no point) and subscribers whose point lies outside Jiangsu have no county: they are the
# province's, managed by province-level staff only.


def province_wide(actor: Actor) -> bool:
    """Whether the actor's jurisdiction is the whole province (manages county-less rows)."""
    return actor.level == "province" and actor.division_code is not None


def scope_clause(actor: Actor) -> ColumnElement[bool]:
    """The subscribers the actor manages (SQL)."""
    inside = covers_clause(actor, AlertSubscriber.county_code)
    if province_wide(actor):
        return or_(inside, AlertSubscriber.county_code.is_(None))
    return inside


def in_scope(actor: Actor, sub: AlertSubscriber) -> bool:
    """Python twin of ``scope_clause``."""
    if sub.county_code is None:
        return province_wide(actor)
    return covers(actor, sub.county_code)


class OutsideScope(InvalidInput):
    """A new subscriber the actor would not manage; ``reason`` keys the page's Chinese text
    (``point``: the point lies outside the jurisdiction, ``province``: only province-level staff
    register subscribers without a point)."""

    def __init__(self, message: str, *, field: str, reason: str) -> None:
        super().__init__(message, field=field)
        self.reason = reason


def check_scope(actor: Actor, sub: AlertSubscriber) -> None:
    """Refuse a new subscriber the actor would not manage (422 naming the point, or the kind
    for a partner platform, which has none)."""
    if in_scope(actor, sub):
        return
    if sub.lat is None:
        raise OutsideScope(
            "subscribers without a point (partner platforms) are managed at province level",
            field="kind",
            reason="province",
        )
    where = f"county {sub.county_code}" if sub.county_code else "outside Jiangsu"
    raise OutsideScope(
        f"the subscriber's point (lat {sub.lat}, lng {sub.lng}) lies {where}, "
        "outside your jurisdiction",
        field="lat",
        reason="point",
    )


def _next_version(session: Session) -> int:
    return (
        session.execute(select(func.coalesce(func.max(AlertSubscriber.version), 0))).scalar_one()
        + 1
    )


def add_subscriber(
    session: Session, data: Mapping[str, Any], *, actor: Actor | None = None
) -> AlertSubscriber:
    """Register a subscriber inside the caller's action (kind, channel, point, address…).
    With ``actor``, one the actor would not manage (``check_scope``) is refused before
    anything is written."""
    from fanguai.alerts.service import check_point

    kind = data.get("kind")
    if kind not in SUBSCRIBER_KINDS:
        raise InvalidInput(
            f"subscriber kind must be one of {', '.join(SUBSCRIBER_KINDS)}", field="kind"
        )
    channel = data.get("channel")
    if channel not in CHANNELS:
        raise InvalidInput(
            f"unknown subscriber channel {channel!r}; known: {', '.join(CHANNELS)}", field="channel"
        )
    if channel not in KIND_CHANNELS[kind]:
        raise InvalidInput(
            f"a {kind} receives alerts by {', '.join(KIND_CHANNELS[kind])}, not {channel}",
            field="channel",
        )
    hub_type = data.get("hub_type") or None
    if kind == "transport_hub" and hub_type not in HUB_TYPES:
        raise InvalidInput(f"hub type must be one of {', '.join(HUB_TYPES)}", field="hub_type")
    if kind != "transport_hub":
        hub_type = None
    label = str(data.get("label") or "").strip()[:80]
    point = None
    if kind != "partner":
        try:
            point = check_point(data.get("lat"), data.get("lng"))
        except InvalidInput as exc:  # named after the subscriber's own fields, not a case's
            field = "lng" if exc.field == "last_seen_lng" else "lat"
            message = exc.message.replace("the last-seen place", "the subscriber's point")
            raise InvalidInput(message.replace("last_seen_", ""), field=field) from None
        if point is None:
            raise InvalidInput("a subscriber near a place needs its point", field="lat")
    sub = AlertSubscriber(
        kind=kind,
        hub_type=hub_type,
        label=label,
        channel=channel,
        lat=point[0] if point else None,
        lng=point[1] if point else None,
        version=_next_version(session),
    )
    if point is not None:
        try:
            sub.county_code = locate(*point).county.code
        except OutsideJiangsu:
            sub.county_code = None
    if channel == "internal":
        unit = session.execute(
            select(Unit).where(Unit.code == data.get("unit_code"))
        ).scalar_one_or_none()
        if unit is None or unit.department != "police":
            raise InvalidInput(
                "an internal subscriber is a police unit (unit_code)", field="unit_code"
            )
        sub.unit_id = unit.id
        sub.label = sub.label or unit.name
    else:
        sub.endpoint_id = _find_endpoint(session, data.get("endpoint"), channel).id
    address = str(data.get("address") or "").strip() or None
    if channel == "email" and (address is None or not EMAIL.match(address)):
        raise InvalidInput("an e-mail subscriber needs a valid address", field="address")
    if channel == "sms" and (address is None or not PHONE.match(address)):
        raise InvalidInput("an SMS subscriber needs a mobile number", field="address")
    ref = str(data.get("external_ref") or "").strip() or None
    if kind == "app_user" and ref is None:
        raise InvalidInput(
            "an app user needs the partner's reference (push token)", field="external_ref"
        )
    sub.external_ref = ref[:120] if ref else None
    if actor is not None:  # last: a bad field is named first, whoever asks
        check_scope(actor, sub)
    session.add(sub)
    session.flush()
    if channel in ("email", "sms") and address is not None:
        sub.address = field_crypto().encrypt(
            address,
            subject_id=f"alert_subscriber:{sub.public_id}",
            table="alert_subscriber",
            column="address",
            row_id=sub.public_id,
        )
        sub.address_hint = mask(address, 3, 4) if channel == "sms" else mask(address, 2, 0)
    return sub


def subscriber_address(sub_public_id: str, token: str | None) -> str | None:
    """A subscriber's address in clear (for delivery only)."""
    if token is None:
        return None
    return field_crypto().decrypt(
        token,
        subject_id=f"alert_subscriber:{sub_public_id}",
        table="alert_subscriber",
        column="address",
        row_id=sub_public_id,
    )


def deactivate(
    session: Session, public_id: str, now: datetime, *, actor: Actor | None = None
) -> AlertSubscriber:
    """Stop sending to a subscriber (inside the caller's action); a volunteer's address or an
    app user's push token is kept for the retention period (reactivation), then erased. With
    ``actor``, one outside the actor's scope is not found."""
    sub = get_subscriber(session, public_id, actor=actor)
    if not sub.active:
        raise Conflict("the subscriber is already inactive")
    sub.active = False
    sub.deactivated_at = now
    sub.version = _next_version(session)
    return sub


def get_subscriber(
    session: Session, public_id: str, *, actor: Actor | None = None
) -> AlertSubscriber:
    """A subscriber by public id, or NotFound (also when ``actor`` is given and the subscriber
    lies outside the actor's scope: indistinguishable from one that does not exist)."""
    query = select(AlertSubscriber).where(AlertSubscriber.public_id == public_id)
    if actor is not None:
        query = query.where(scope_clause(actor))
    sub = session.execute(query).scalar_one_or_none()
    if sub is None:
        raise NotFound("subscriber not found")
    return sub


def reactivate(session: Session, public_id: str, *, actor: Actor | None = None) -> AlertSubscriber:
    """Send alerts to a deactivated subscriber again (inside the caller's action); never to one
    who withdrew consent (their address is gone: they register anew). With ``actor``, one
    outside the actor's scope is not found."""
    sub = get_subscriber(session, public_id, actor=actor)
    if sub.opted_out_at is not None:
        raise Conflict("the subscriber withdrew consent; only they can subscribe again")
    if sub.erased_at is not None:
        raise Conflict(
            "the subscriber's address was erased after the retention period; register anew"
        )
    if sub.active:
        raise Conflict("the subscriber is already active")
    sub.active = True
    sub.deactivated_at = None
    sub.version = _next_version(session)
    return sub


def ref_digest(ref: str) -> str:
    """What stays of a withdrawn push token: its keyed hash (a repeated withdrawal finds it)."""
    return "x:" + field_crypto().blind_index("alert_subscriber.external_ref", ref)


def opt_out(session: Session, sub: AlertSubscriber, now: datetime) -> bool:
    """Withdraw consent (inside the caller's action): no more alerts, the address deleted, a
    push token replaced by its keyed hash. False if it was done before (nothing changes)."""
    if sub.opted_out_at is not None:
        return False
    sub.active = False
    sub.opted_out_at = now
    sub.address = None
    sub.address_hint = None
    if sub.external_ref and sub.kind == "app_user":
        sub.external_ref = ref_digest(sub.external_ref)
    sub.version = _next_version(session)
    return True


def shred_address(sub_public_id: str) -> None:
    """Crypto-shred the subscriber's data key (after the opt-out committed): copies of the
    address in backups can no longer be read either."""
    field_crypto().keystore.shred(f"alert_subscriber:{sub_public_id}")


# Whose contact details are personal data, kept only for a while after deactivation (hubs,
# partners and police units are organisations: their addresses stay for a reactivation).
RETAINED_KINDS = ("volunteer", "app_user")


def months_before(when: datetime, months: int) -> datetime:
    """``when`` less ``months`` calendar months (the 31st becomes a shorter month's last day)."""
    index = when.year * 12 + when.month - 1 - months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)


def _retained() -> tuple[Any, ...]:
    """Deactivated volunteers and app users whose contact is still kept."""
    return (
        AlertSubscriber.kind.in_(RETAINED_KINDS),
        AlertSubscriber.active.is_(False),
        AlertSubscriber.opted_out_at.is_(None),
        AlertSubscriber.erased_at.is_(None),
    )


def retention_due(session: Session, now: datetime, months: int) -> bool:
    """Whether ``erase_inactive`` has anything to do (a clock to start, a contact to erase)."""
    due = (AlertSubscriber.deactivated_at.is_(None)) | (
        AlertSubscriber.deactivated_at <= months_before(now, months)
    )
    return (
        session.execute(select(AlertSubscriber.id).where(*_retained(), due).limit(1)).first()
        is not None
    )


def erase_inactive(session: Session, now: datetime, months: int, *, limit: int = 200) -> list[str]:
    """Inside the caller's action: start the clock of volunteers and app users deactivated
    before it was kept, then erase the address, its hint, the push token (kept as its keyed
    hash, so a later withdrawal still finds it) and the point of up to ``limit`` of those
    deactivated at least ``months`` ago, and shred their data keys. Returns their public ids.
    Opted-out subscribers were erased at once and are not touched."""
    pending = _retained()
    session.execute(
        update(AlertSubscriber)
        .where(*pending, AlertSubscriber.deactivated_at.is_(None))
        .values(deactivated_at=now)
    )
    rows = (
        session.execute(
            select(AlertSubscriber)
            .where(*pending, AlertSubscriber.deactivated_at <= months_before(now, months))
            .order_by(AlertSubscriber.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    for sub in rows:
        sub.address = None
        sub.address_hint = None
        if sub.external_ref and not sub.external_ref.startswith("x:"):
            sub.external_ref = ref_digest(sub.external_ref)
        sub.lat = sub.lng = None
        sub.erased_at = now
        sub.version = _next_version(session)
        session.flush()
    # Shred last, as ``people.erase`` does: if the database write fails the keys survive and
    # nothing is half-erased (a repeat shreds again: idempotent).
    for sub in rows:
        shred_address(sub.public_id)
    return [sub.public_id for sub in rows]


def app_users_by_ref(session: Session, endpoint: AlertEndpoint, ref: str) -> list[AlertSubscriber]:
    """Every app user of ``endpoint`` with this push token, oldest first (withdrawn ones too,
    found by the token's keyed hash: a token can be registered again after a withdrawal), or
    NotFound."""
    subs = list(
        session.execute(
            select(AlertSubscriber)
            .where(
                AlertSubscriber.kind == "app_user",
                AlertSubscriber.endpoint_id == endpoint.id,
                AlertSubscriber.external_ref.in_((ref, ref_digest(ref))),
            )
            .order_by(AlertSubscriber.id)
        ).scalars()
    )
    if not subs:
        raise NotFound("no app user with this push token at this endpoint", field="ref")
    return subs


PAGE_SIZE = 50


def list_subscribers(
    session: Session,
    *,
    actor: Actor,
    kind: str | None = None,
    channel: str | None = None,
    county: str | None = None,
    active: bool | None = None,
    page: int = 1,
) -> tuple[list[AlertSubscriber], int]:
    """Subscribers in the actor's scope matching the filters, newest first, one page; and how
    many match."""
    where = [scope_clause(actor)]
    if kind:
        where.append(AlertSubscriber.kind == kind)
    if channel:
        where.append(AlertSubscriber.channel == channel)
    if county:
        where.append(AlertSubscriber.county_code == county)
    if active is not None:
        where.append(AlertSubscriber.active.is_(active))
    total = session.execute(
        select(func.count()).select_from(AlertSubscriber).where(*where)
    ).scalar_one()
    rows = (
        session.execute(
            select(AlertSubscriber)
            .where(*where)
            .order_by(AlertSubscriber.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        .scalars()
        .all()
    )
    return list(rows), total


def counts_by_kind(session: Session, actor: Actor) -> dict[tuple[str, str], int]:
    """Active subscribers in the actor's scope by (kind, channel)."""
    rows = session.execute(
        select(AlertSubscriber.kind, AlertSubscriber.channel, func.count())
        .where(AlertSubscriber.active.is_(True), scope_clause(actor))
        .group_by(AlertSubscriber.kind, AlertSubscriber.channel)
    ).all()
    return {(k, c): n for k, c, n in rows}


# ---------------------------------------------------------------- the index


@dataclass
class Audience:
    """Recipients of a ring: subscriber ids (ascending), their endpoint (0: none) and channel."""

    ids: np.ndarray
    endpoint: np.ndarray
    channel: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _merge(parts: list[Audience]) -> Audience:
    ids = np.concatenate([p.ids for p in parts]).astype(np.int64)
    endpoint = np.concatenate([p.endpoint for p in parts]).astype(np.int32)
    channel = np.concatenate([p.channel for p in parts]).astype(np.int8)
    ids, first = np.unique(ids, return_index=True)
    return Audience(ids, endpoint[first], channel[first])


class SubscriberIndex:
    """The grid index of active located subscribers, kept in step with the table.

    Changes since the last build (by ``version``) are held in a small overlay that queries
    check exactly; when the overlay grows past a twentieth of the index it is rebuilt."""

    REBUILD_SHARE = 20
    MIN_REBUILD = 50_000

    def __init__(self) -> None:
        self.grid: GridIndex | None = None
        self.version = -1
        self.overlay: dict[int, tuple[float | None, float | None, int, int, bool]] = {}
        self.everywhere = Audience(
            np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, np.int8)
        )
        self.lock = threading.Lock()

    def refresh(self, session: Session) -> None:
        """Load what changed since the last refresh (or everything, the first time)."""
        current = session.execute(
            select(func.coalesce(func.max(AlertSubscriber.version), 0))
        ).scalar_one()
        with self.lock:
            if self.grid is not None and current == self.version:
                return
            if self.grid is None or current < self.version:
                self._build(session, current)
                return
            rows = session.execute(
                select(
                    AlertSubscriber.id,
                    AlertSubscriber.lat,
                    AlertSubscriber.lng,
                    AlertSubscriber.endpoint_id,
                    AlertSubscriber.channel,
                    AlertSubscriber.active,
                ).where(AlertSubscriber.version > self.version)
            ).all()
            for sid, lat, lng, endpoint_id, channel, active in rows:
                self.overlay[sid] = (lat, lng, endpoint_id or 0, CHANNEL_CODE[channel], active)
            if len(self.overlay) > max(self.MIN_REBUILD, len(self.grid) // self.REBUILD_SHARE):
                self._build(session, current)
                return
            self._load_everywhere(session)
            self.version = current

    def _build(self, session: Session, version: int) -> None:
        rows = session.execute(
            select(
                AlertSubscriber.id,
                AlertSubscriber.lat,
                AlertSubscriber.lng,
                AlertSubscriber.endpoint_id,
                AlertSubscriber.channel,
            ).where(AlertSubscriber.active.is_(True), AlertSubscriber.lat.is_not(None))
        ).all()
        n = len(rows)
        ids = np.fromiter((r[0] for r in rows), np.int64, n)
        lat = np.fromiter((r[1] for r in rows), np.float64, n)
        lng = np.fromiter((r[2] for r in rows), np.float64, n)
        endpoint = np.fromiter((r[3] or 0 for r in rows), np.int32, n)
        channel = np.fromiter((CHANNEL_CODE[r[4]] for r in rows), np.int8, n)
        self.grid = GridIndex(ids, lat, lng, endpoint, channel)
        self.overlay = {}
        self._load_everywhere(session)
        self.version = version

    def _load_everywhere(self, session: Session) -> None:
        rows = session.execute(
            select(AlertSubscriber.id, AlertSubscriber.endpoint_id, AlertSubscriber.channel)
            .where(AlertSubscriber.active.is_(True), AlertSubscriber.lat.is_(None))
            .order_by(AlertSubscriber.id)
        ).all()
        self.everywhere = Audience(
            np.array([r[0] for r in rows], np.int64),
            np.array([r[1] or 0 for r in rows], np.int32),
            np.array([CHANNEL_CODE[r[2]] for r in rows], np.int8),
        )

    def audience(self, ring: Ring) -> Audience:
        """Active subscribers in the ring plus those with no point (partner platforms)."""
        with self.lock:
            assert self.grid is not None, "refresh the index first"
            pos = self.grid.query(ring)
            base = Audience(self.grid.ids[pos], self.grid.endpoint[pos], self.grid.channel[pos])
            if self.overlay:
                changed = np.fromiter(self.overlay, np.int64, len(self.overlay))
                keep = ~np.isin(base.ids, changed)
                base = Audience(base.ids[keep], base.endpoint[keep], base.channel[keep])
                extra = self._overlay_in(ring)
                return _merge([base, extra, self.everywhere])
            return _merge([base, self.everywhere])

    def _overlay_in(self, ring: Ring) -> Audience:
        located = [
            (sid, lat, lng, ep, ch)
            for sid, (lat, lng, ep, ch, active) in self.overlay.items()
            if active and lat is not None
        ]
        if not located:
            return Audience(np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, np.int8))
        arr = np.array([(r[1], r[2]) for r in located], np.float64)
        inside = ring.contains(haversine_km(ring.lat, ring.lng, arr[:, 0], arr[:, 1]))
        chosen = [r for r, k in zip(located, inside, strict=True) if k]
        return Audience(
            np.array([r[0] for r in chosen], np.int64),
            np.array([r[3] for r in chosen], np.int32),
            np.array([r[4] for r in chosen], np.int8),
        )


_INDEXES: dict[str, SubscriberIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_for(session: Session) -> SubscriberIndex:
    """This database's subscriber index, refreshed."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    key = engine.url.render_as_string(hide_password=True)
    with _INDEXES_LOCK:
        index = _INDEXES.setdefault(key, SubscriberIndex())
    index.refresh(session)
    return index


def forget_indexes() -> None:
    """Drop every cached index (tests whose subscribers were rolled back)."""
    with _INDEXES_LOCK:
        _INDEXES.clear()
