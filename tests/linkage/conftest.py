"""Small records for the linkage tests (no database needed)."""

from __future__ import annotations

from datetime import date

import pytest

from fanguai.linkage import Record

TODAY = date(2026, 1, 1)


def child(rid: str, name: str, **fields: str) -> Record:
    """A record with plausible defaults for every field not given."""
    values = {
        "sex": "M",
        "birth_date": "2015-03-02",
        "place_code": "320508",
        "event_date": "2020-05-01",
        "father_name": "",
        "mother_name": "",
        "features": "",
    }
    values.update(fields)
    return Record(id=rid, name=name, **values)


@pytest.fixture(scope="session")
def default_model():
    from fanguai.linkage import default_model as load

    return load()
