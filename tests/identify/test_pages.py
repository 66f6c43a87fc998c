"""The pages in Chinese: lists, forms that keep what was typed and say what is wrong, the record,
the candidate, the import, the calendar; and the message catalogue is complete."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from fanguai.identify.models import Candidate, FoundPerson

LOCALES = Path(__file__).resolve().parents[2] / "src" / "fanguai" / "web" / "locales"
TEMPLATES = (
    Path(__file__).resolve().parents[2] / "src" / "fanguai" / "web" / "templates" / "identify"
)


def _form(client, path: str, data: dict, **kw):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": client.csrf}, follow_redirects=False, **kw)


def test_the_list_shows_masked_names_and_the_filters(login) -> None:  # type: ignore[no-untyped-def]
    page = login("gusu.civil").get("/found")
    assert page.status_code == 200
    assert "身份查找与团聚" in page.text and "救助管理站接收" in page.text
    assert "吴欣怡" not in page.text and "吴**" in page.text  # the demo runaway, masked


def test_the_registration_form_carries_its_input_limits(login) -> None:  # type: ignore[no-untyped-def]
    page = login("gusu.civil").get("/found/new").text
    assert re.search(r'<input name="county_code" type="text" value="" [^>]*maxlength="6"', page)
    assert "&#34;" not in page


def test_a_bad_registration_says_which_field_and_keeps_what_was_typed(login) -> None:  # type: ignore[no-untyped-def]
    client = login("gusu.civil")
    r = _form(
        client,
        "/found",
        {
            "source": "shelter_intake",
            "found_at": "2026-01-05T08:00",
            "county_code": "329999",
            "found_place": "苏州站南广场",
            "description": "穿蓝色棉衣",
        },
    )
    assert r.status_code == 422
    assert "须为江苏省县级行政区划代码" in r.text and 'data-field="county_code"' in r.text
    assert 'value="苏州站南广场"' in r.text and "穿蓝色棉衣" in r.text


def test_a_registration_leads_to_the_record_with_its_deadlines(login) -> None:  # type: ignore[no-untyped-def]
    client = login("gusu.civil")
    r = _form(
        client,
        "/found",
        {
            "source": "shelter_intake",
            "found_at": "2026-01-05T08:00",
            "county_code": "320508",
            "age_min": "5",
            "age_max": "7",
            "sex": "female",
        },
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert "已登记，采血等办理时限已生成" in page.text
    assert "发布寻亲公告" in page.text and "采集血样入库检验" in page.text


def test_the_candidate_page_shows_the_dna_evidence_to_the_lab(login, session) -> None:  # type: ignore[no-untyped-def]
    candidate = (
        session.execute(
            select(Candidate).where(
                Candidate.level == "dna_supported", Candidate.side_type == "missing_record"
            )
        )
        .scalars()
        .first()
    )
    page = login("suzhou.dna").get(f"/found/candidates/{candidate.public_id}")
    assert page.status_code == 200
    assert "DNA亲缘比对" in page.text and "本库同分预期随机命中数" in page.text
    assert "登记复核检验" in page.text and "人像比对" in page.text
    assert (
        login("nanjing.police").get(f"/found/candidates/{candidate.public_id}").status_code == 404
    )


def test_a_refused_action_comes_back_with_a_chinese_message(login, session) -> None:  # type: ignore[no-untyped-def]
    candidate = (
        session.execute(select(Candidate).where(Candidate.level == "dna_supported"))
        .scalars()
        .first()
    )
    client = login("suzhou.dna")
    r = _form(client, f"/found/candidates/{candidate.public_id}/confirm", {"note": ""})
    assert r.status_code == 303 and "error=retest" in r.headers["location"]
    assert "确认前须登记结论为“一致”的复核检验" in client.get(r.headers["location"]).text


def test_a_bad_import_lists_each_row_and_column_in_chinese(login) -> None:  # type: ignore[no-untyped-def]
    client = login("gusu.police")
    content = b"source,found_at,county_code\ncensus,2026-02-30,320508\ncensus,2026-01-02,999999\n"
    r = _form(client, "/found/import", {}, files={"file": ("list.csv", content, "text/csv")})
    assert r.status_code == 422
    assert "不存在的日期：2026-02-30" in r.text and "不是江苏省县级行政区划代码：999999" in r.text
    assert re.search(r"<td>2</td><td><code>found_at</code>", r.text)
    assert re.search(r"<td>3</td><td><code>county_code</code>", r.text)


def test_the_calendar_page_shows_the_builtin_notice_and_an_unknown_year(login) -> None:  # type: ignore[no-untyped-def]
    client = login("gusu.police")
    assert "春节调休上班" in client.get("/found/calendar?year=2026").text
    assert "尚未录入" in client.get("/found/calendar?year=2027").text


def test_the_record_page_audits_the_read(login, session) -> None:  # type: ignore[no-untyped-def]
    from fanguai.audit.models import AuditEvent

    found = session.execute(select(FoundPerson).order_by(FoundPerson.id)).scalars().first()
    assert login("gusu.police").get(f"/found/{found.public_id}").status_code == 200
    event = (
        session.execute(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "found_person", AuditEvent.object_id == found.public_id
            )
            .order_by(AuditEvent.seq.desc())
        )
        .scalars()
        .first()
    )
    assert event.action == "identify.found_person.read"


def test_both_catalogues_have_the_same_keys() -> None:
    zh = json.loads((LOCALES / "zh-CN" / "identify.json").read_text("utf-8"))
    en = json.loads((LOCALES / "en" / "identify.json").read_text("utf-8"))
    assert set(zh) == set(en)


def test_every_key_the_templates_name_is_in_the_catalogue() -> None:
    zh = json.loads((LOCALES / "zh-CN" / "identify.json").read_text("utf-8"))
    named = set()
    for path in TEMPLATES.glob("*.html"):
        named |= set(
            re.findall(r"""_\(["'](identify\.[a-z_.]+[a-z_])["']""", path.read_text("utf-8"))
        )
    assert named and named <= set(zh), sorted(named - set(zh))
