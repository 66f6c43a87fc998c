"""Writing and verifying the audit chain."""

from __future__ import annotations

import gzip
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fanguai.audit.models import AuditAnchor, AuditEvent, AuditHead
from fanguai.audit.signing import AuditSigner, Checkpoint
from fanguai.core.actor import Actor
from fanguai.db import utcnow

GENESIS_HASH = "0" * 64
AUDIT_WRITE_KEY = "fanguai_audit_write"
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def sm3_hex(data: bytes) -> str:
    """SM3 digest of ``data`` as 64 hex characters."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def neutralise(text: str | None, *, limit: int = 500) -> str | None:
    """Make a value safe to keep in a log line: no control characters, bounded length."""
    if text is None:
        return None
    cleaned = _CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return cleaned[:limit]


def _content(event: AuditEvent) -> bytes:
    body = {
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor_kind": event.actor_kind,
        "actor_name": event.actor_name,
        "actor_user_id": event.actor_user_id,
        "actor_unit": event.actor_unit,
        "actor_roles": event.actor_roles,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "source": event.source,
        "request_id": event.request_id,
        "client": event.client,
        "priority": event.priority,
        "detail": event.detail,
        "message": event.message,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def row_hash(event: AuditEvent) -> str:
    """The hash a row must carry given its content and its predecessor's hash."""
    return sm3_hex(_content(event))


def append(
    session: Session,
    *,
    actor: Actor,
    action: str,
    outcome: str,
    source: str,
    object_type: str | None = None,
    object_id: str | None = None,
    request_id: str | None = None,
    detail: dict[str, Any] | None = None,
    message: str | None = None,
    at: datetime | None = None,
    client: str | None = None,
    priority: str = "normal",
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction (no commit)."""
    session.info[AUDIT_WRITE_KEY] = True
    try:
        head = session.execute(
            select(AuditHead).where(AuditHead.id == 1).with_for_update()
        ).scalar_one_or_none()
        if head is None:
            head = AuditHead(id=1, seq=0, row_hash=GENESIS_HASH)
            session.add(head)
        event = AuditEvent(
            seq=head.seq + 1,
            at=at or utcnow(),
            actor_kind=actor.kind,
            actor_name=neutralise(actor.name, limit=200) or "",
            actor_user_id=actor.user_public_id,
            actor_unit=actor.unit_code,
            actor_roles=",".join(sorted(actor.roles)),
            action=action,
            object_type=object_type,
            object_id=neutralise(object_id, limit=64),
            outcome=outcome,
            source=source,
            request_id=request_id,
            client=neutralise(client, limit=64),
            priority=priority,
            detail={k: _clean_detail(v) for k, v in (detail or {}).items()},
            message=neutralise(message),
            prev_hash=head.row_hash,
        )
        event.row_hash = row_hash(event)
        head.seq = event.seq
        head.row_hash = event.row_hash
        session.add(event)
        session.flush()
        return event
    finally:
        session.info.pop(AUDIT_WRITE_KEY, None)


def _clean_detail(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_clean_detail(v) for v in value][:100]
    return neutralise(str(value))


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a chain verification: ``first_bad_seq`` is None when the chain is intact."""

    checked: int
    first_bad_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify(session: Session) -> VerifyResult:
    """Walk the chain in order and report the first sequence number that does not hold."""
    anchor = session.get(AuditAnchor, 1)
    expected_prev = anchor.row_hash if anchor else GENESIS_HASH
    expected_seq = anchor.purged_upto_seq + 1 if anchor else 1
    checked = 0
    for event in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
        if event.seq != expected_seq:
            return VerifyResult(checked, expected_seq, f"sequence gap: expected {expected_seq}")
        if event.prev_hash != expected_prev:
            return VerifyResult(checked, event.seq, "prev_hash does not match predecessor")
        if row_hash(event) != event.row_hash:
            return VerifyResult(checked, event.seq, "row content does not match its hash")
        expected_prev = event.row_hash
        expected_seq += 1
        checked += 1
    last_seq = expected_seq - 1
    head = session.get(AuditHead, 1)
    if head is not None:
        if head.seq > last_seq:
            return VerifyResult(checked, last_seq + 1, "log truncated: head is beyond the last row")
        if head.seq < last_seq:
            return VerifyResult(checked, head.seq + 1, "rows after the head: inserted")
        if head.row_hash != expected_prev:
            return VerifyResult(checked, last_seq, "the last row differs from the head")
    return VerifyResult(checked, None, None)


def verify_full(session: Session, signer: AuditSigner | None) -> VerifyResult:
    """The chain check plus every signed checkpoint (signature, row hash, and no truncation)."""
    result = verify(session)
    if not result.ok or signer is None:
        return result
    anchor = session.get(AuditAnchor, 1)
    floor = anchor.purged_upto_seq if anchor else 0
    last = session.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())).scalar()
    last = last or floor
    for cp in signer.checkpoints():
        if not signer.verify_signature(cp.message(), cp.signature):
            return VerifyResult(result.checked, cp.seq, "checkpoint signature invalid")
        if cp.seq <= floor:
            continue  # archived: the archive's own signature covers it
        if cp.seq > last:
            return VerifyResult(
                result.checked,
                last + 1,
                f"log truncated: checkpoint at {cp.seq} is beyond the last row",
            )
        row = session.get(AuditEvent, cp.seq)
        if row is None or row.row_hash != cp.row_hash:
            return VerifyResult(result.checked, cp.seq, "row differs from its signed checkpoint")
    return result


def checkpoint(session: Session, signer: AuditSigner) -> Checkpoint | None:
    """Sign the chain's current head (None for an empty log)."""
    head = session.get(AuditHead, 1)
    if head is None or head.seq == 0:
        return None
    row = session.get(AuditEvent, head.seq)
    if row is None or row.row_hash != head.row_hash:
        raise AuditChainBroken("the head does not match the last row; run `fanguai audit verify`")
    return signer.write_checkpoint(seq=head.seq, row_hash=head.row_hash, at=utcnow())


class AuditChainBroken(RuntimeError):
    """The chain does not verify; nothing is signed or purged over a broken chain."""


def canonical_row(event: AuditEvent) -> dict[str, Any]:
    """A row as archived: every column, times in ISO 8601."""
    body = json.loads(_content(event))
    body["row_hash"] = event.row_hash
    return body


def archive_and_purge(
    session: Session,
    *,
    actor: Actor,
    cutoff: datetime,
    signer: AuditSigner,
    archive_dir: Path,
    min_months: int = 6,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Archive (signed) every row older than ``cutoff``, then delete them from the online log.

    Refuses a cutoff less than ``min_months`` calendar months ago: the online log always keeps
    at least six months.
    """
    from fanguai.audit.models import AuditPurgePermit
    from fanguai.core.actions import action

    now = now or utcnow()
    months = (now.year - cutoff.year) * 12 + (now.month - cutoff.month)
    if months < min_months or (months == min_months and cutoff.day > now.day):
        raise InvalidAuditRequest(f"the cutoff must be at least {min_months} calendar months ago")
    if not verify_full(session, signer).ok:
        raise AuditChainBroken("the audit chain does not verify; refusing to purge")
    session.rollback()
    # Only a prefix of the chain can go: stop at the first row that is not old enough, even if
    # later rows carry older times (a clock set back must not punch holes in the chain).
    rows = []
    for event in session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars():
        if event.at >= cutoff:
            break
        rows.append(event)
    if not rows:
        return {"archived": 0}
    first, last = rows[0].seq, rows[-1].seq
    archive_dir.mkdir(parents=True, exist_ok=True)
    path = archive_dir / f"audit-{first:012d}-{last:012d}.jsonl.gz"
    payload = "".join(
        json.dumps(canonical_row(r), ensure_ascii=False, sort_keys=True) + "\n" for r in rows
    ).encode("utf-8")
    data = gzip.compress(payload, mtime=0)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    tmp.replace(path)
    digest = sm3_hex(data)
    manifest = {
        "first_seq": first,
        "last_seq": last,
        "count": len(rows),
        "sm3": digest,
        "last_row_hash": rows[-1].row_hash,
        "archived_at": now.isoformat(),
    }
    manifest["signature"] = signer.sign(json.dumps(manifest, sort_keys=True).encode())
    path.with_name(path.name.replace(".jsonl.gz", ".manifest.json")).write_text(
        json.dumps(manifest, indent=2)
    )
    last_hash = rows[-1].row_hash
    session.rollback()
    with action(
        session,
        actor,
        "audit.purge",
        object_type="audit_archive",
        object_id=path.name[:64],
        detail={"first_seq": first, "last_seq": last, "count": len(rows), "sm3": digest},
    ):
        session.add(AuditPurgePermit(id=1, upto_seq=last))
        session.flush()
        session.execute(delete(AuditEvent).where(AuditEvent.seq <= last))
        session.execute(delete(AuditPurgePermit))
        anchor = session.get(AuditAnchor, 1)
        if anchor is None:
            session.add(
                AuditAnchor(
                    id=1,
                    purged_upto_seq=last,
                    row_hash=last_hash,
                    archive_sha=digest,
                    purged_at=now,
                )
            )
        else:
            anchor.purged_upto_seq, anchor.row_hash = last, last_hash
            anchor.archive_sha, anchor.purged_at = digest, now
    return {"archived": len(rows), "first_seq": first, "last_seq": last, "file": str(path)}


class InvalidAuditRequest(ValueError):
    """A purge or export request the rules do not allow."""
