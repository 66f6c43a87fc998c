"""I3: the profile and specimen tables hold no identifier; the matching API names specimens."""

from __future__ import annotations

import re

from sqlalchemy import inspect

from fanguai.models import Base

# What a direct identifier, or something derived from one, would be called.
IDENTIFIER = re.compile(
    r"name|id_?card|id_?number|passport|phone|mobile|tel|address|addr|birth|dob|email|"
    r"person|subject|case|found|victim|guardian|household|hukou|photo|face|wechat|qq|"
    r"plate|ip$|blind|index_hash",
    re.IGNORECASE,
)
STORE_TABLES = ("dna_specimen", "dna_profile", "dna_couple", "dna_import")
ALLOWED_TARGETS = {"dna_specimen", "dna_profile", "dna_couple", "dna_import", "unit", "staff_user"}


def test_the_store_tables_have_no_identifier_column_in_the_models() -> None:
    for name in STORE_TABLES:
        table = Base.metadata.tables[name]
        for column in table.columns:
            assert not IDENTIFIER.search(column.name), f"{name}.{column.name}"
            purpose = str(column.info.get("purpose", ""))
            assert "identif" not in purpose and "contact" not in purpose, f"{name}.{column.name}"
            for fk in column.foreign_keys:
                assert fk.column.table.name in ALLOWED_TARGETS, f"{name}.{column.name} → {fk}"


def test_the_migrated_database_has_exactly_those_columns(engine) -> None:  # type: ignore[no-untyped-def]
    inspector = inspect(engine)
    for name in STORE_TABLES:
        in_db = {c["name"] for c in inspector.get_columns(name)}
        assert in_db == {c.name for c in Base.metadata.tables[name].columns}, name
        assert not [c for c in in_db if IDENTIFIER.search(c)], name


def test_the_profile_is_one_field_encrypted_column() -> None:
    table = Base.metadata.tables["dna_profile"]
    classified = {c.name: c.info for c in table.columns if "classification" in c.info}
    assert classified.keys() == {"genotypes"}
    assert classified["genotypes"]["encryption"] == "field"
    retest = Base.metadata.tables["dna_retest"].columns["genotypes"]
    assert retest.info["encryption"] == "field"


def test_the_link_to_a_person_is_a_separate_table_with_its_subject_encrypted() -> None:
    link = Base.metadata.tables["dna_specimen_link"]
    assert link.columns["subject_ref"].info["encryption"] == "field"
    assert link.columns["subject_index"].info["encryption"] == "blind_index"
    plain = {c.name for c in link.columns if "encryption" not in c.info}
    assert plain == {
        "id",
        "public_id",
        "specimen_id",
        "subject_type",
        "relation",
        "created_at",
    }
    for name in STORE_TABLES:
        targets = {fk.column.table.name for fk in Base.metadata.tables[name].foreign_keys}
        assert "dna_specimen_link" not in targets


def test_no_route_exports_profiles_in_bulk(app) -> None:  # type: ignore[no-untyped-def]
    from fanguai.web.deps import iter_api_routes

    dna = [(m, p) for m, p, _ in iter_api_routes(app) if "/dna" in p]
    assert dna, "the DNA routes are mounted"
    assert not [p for _, p in dna if re.search(r"export|download|dump|bulk", p)]
