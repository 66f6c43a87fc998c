"""R-DNA-6: no allele call in clear at rest: the database files hold only ``fg1:`` tokens."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from fanguai import migrate
from fanguai.core.actor import Actor, cli_actor
from fanguai.crypto.fields import FieldCrypto
from fanguai.crypto.keystore import KeyStore
from fanguai.crypto.provider import get_provider
from fanguai.db import Database, make_engine
from fanguai.dna import service
from fanguai.dna.demo import DEMO_LOCI
from fanguai.dna.models import DnaProfile
from fanguai.org.models import Unit
from fanguai.reference import ensure_reference_data
from tests.dna.helpers import Family, long


def test_no_locus_or_genotype_is_stored_in_clear(tmp_path: Path) -> None:
    provider = get_provider()
    keystore = KeyStore(
        f"sqlite:///{tmp_path / 'keys.sqlite3'}",
        master_key=provider.random_bytes(16),
        provider=provider,
    )
    keystore.initialise()
    crypto = FieldCrypto(keystore, provider)
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    migrate.upgrade(engine)
    db = Database(engine)
    fam = Family(50)
    father, mother = fam.person(), fam.person()
    rows = [
        ("AR-F", "father", "A", father),
        ("AR-M", "mother", "A", mother),
        ("AR-U", "unknown_child", "", fam.child(father, mother)),
    ]
    with db.session() as session:
        ensure_reference_data(session, actor=cli_actor("tests"))
        unit = session.execute(select(Unit).where(Unit.code == "320500-GA")).scalar_one()
        analyst = Actor(
            kind="user",
            name="lab.analyst",
            unit_id=unit.id,
            unit_name=unit.name,
            unit_code=unit.code,
            department=unit.department,
            division_code=unit.division_code,
            level=unit.level,
            permissions=frozenset({"dna.read", "dna.import"}),
        )
        result = service.import_lab_file(
            session, actor=analyst, text=long(rows), layout="long", kit="kit", crypto=crypto
        )
        assert len(result.matches) >= 2
        tokens = session.execute(select(DnaProfile.genotypes)).scalars().all()
        assert tokens and all(t.startswith("fg1:") for t in tokens)
    engine.dispose()
    keystore.close()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("store.sqlite3*"))
    assert len(stored) > 100_000
    for locus in DEMO_LOCI:
        assert locus.encode() not in stored, locus
    for genotype in {"/".join(g) for g in father.values()}:
        assert f'": "{genotype}"'.encode() not in stored
