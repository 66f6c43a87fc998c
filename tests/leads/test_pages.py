"""The pages: the public report and status pages (no login, Chinese, CSRF, errors beside the
fields), the inbox, a lead and its actions, hotline intake, the portal and the summary."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanguai.db import utcnow
from fanguai.leads import abuse
from fanguai.leads.models import Lead, LeadAttachment
from tests.leads.test_attachments import jpeg_with_gps


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def _report_form(client) -> dict:  # type: ignore[no-untyped-def]
    page = client.get("/report")
    assert page.status_code == 200
    html = page.text
    challenge = re.search(r'data-challenge="([^"]+)"', html).group(1)
    bits = int(re.search(r'data-bits="(\d+)"', html).group(1))
    return {
        "csrf_token": _hidden(html, "csrf_token"),
        "challenge": challenge,
        "nonce": abuse.solve(challenge, bits),
        "idempotency_key": _hidden(html, "idempotency_key"),
        "lead_type": "missing_now",
        "description": "孩子在观前街走散，穿红色外套。",
        "child_sex": "female",
        "child_age": "约6岁",
        "county_code": "320508",
        "place_text": "观前街",
        "anonymous": "1",
        "website": "",
    }


def _post_later(client, form: dict, **kwargs):  # type: ignore[no-untyped-def]
    """Post the form as a person would: some time after the page was served."""
    with time_machine.travel(utcnow() + timedelta(seconds=40), tick=True):
        return client.post("/report", data=form, **kwargs)


def test_the_public_report_page_needs_no_login_and_speaks_chinese(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/report")
    assert page.status_code == 200
    assert "举报拐卖儿童线索" in page.text and "110" in page.text
    assert 'name="website"' in page.text and 'class="hp"' in page.text  # the honeypot
    assert "fanguai_report_csrf" in page.headers["set-cookie"]
    assert 'name="viewport"' in page.text  # phone first
    assert "/static/js/leads-pow.js" in page.text


def test_a_person_reports_through_the_form_and_follows_it(client, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    form = _report_form(client)
    done = _post_later(
        client, form, files={"photos": ("IMG_0001.JPG", jpeg_with_gps(), "image/jpeg")}
    )
    assert done.status_code == 201, done.text
    code = re.search(r'id="tracking-code">([^<]+)<', done.text).group(1)
    phrase = re.search(r'id="passphrase">([^<]+)<', done.text).group(1)
    lead = session.execute(select(Lead).where(Lead.tracking_code == code)).scalar_one()
    assert lead.status == "received" and lead.owner_unit.code == "320508-GA"
    assert session.execute(
        select(LeadAttachment).where(LeadAttachment.lead_id == lead.id)
    ).scalar_one()
    status = client.get("/report/status")
    found = client.post(
        "/report/status",
        data={
            "tracking_code": code,
            "passphrase": phrase,
            "csrf_token": _hidden(status.text, "csrf_token"),
        },
    )
    assert found.status_code == 200 and "已收到" in found.text
    wrong = client.post(
        "/report/status",
        data={
            "tracking_code": code,
            "passphrase": "WRONG-PASS",
            "csrf_token": _hidden(status.text, "csrf_token"),
        },
    )
    assert wrong.status_code == 404 and "跟踪码或查询码不正确" in wrong.text


def test_a_double_submitted_form_makes_one_lead(client, session) -> None:  # type: ignore[no-untyped-def]
    form = _report_form(client)
    first = client.post("/report", data=form)
    again = client.post("/report", data=form)
    code = re.search(r'id="tracking-code">([^<]+)<', first.text).group(1)
    assert code in again.text
    assert len(session.execute(select(Lead).where(Lead.tracking_code == code)).all()) == 1


def test_mistakes_are_shown_beside_the_field_in_chinese_and_what_was_typed_is_kept(client) -> None:  # type: ignore[no-untyped-def]
    form = {
        **_report_form(client),
        "description": "<script>alert(1)</script>",
        "place_text": "观前街北口",
    }
    r = client.post("/report", data=form)
    assert r.status_code == 422
    assert "不能包含网页代码或脚本" in r.text and 'id="err-description"' in r.text
    assert 'value="观前街北口"' in r.text
    assert "<script>alert(1)</script>" not in r.text  # shown escaped
    nowhere = {**_report_form(client), "county_code": "", "place_text": "某个地方"}
    r = client.post("/report", data=nowhere)
    assert r.status_code == 422 and "请选择区县" in r.text


def test_a_form_without_its_csrf_token_is_refused_and_kept(client) -> None:  # type: ignore[no-untyped-def]
    form = {**_report_form(client), "csrf_token": "forged"}
    r = client.post("/report", data=form)
    assert r.status_code == 400 and "页面已过期" in r.text and "孩子在观前街走散" in r.text
    stranger = TestClient(client.app, base_url="https://testserver")  # no cookie at all
    assert stranger.post("/report", data=_report_form(client)).status_code == 400


def test_the_inbox_and_a_lead_page_for_the_county_police(client, login) -> None:  # type: ignore[no-untyped-def]
    form = _report_form(client)
    code = re.search(r'id="tracking-code">([^<]+)<', _post_later(client, form).text).group(1)
    police = login("gusu.police")
    inbox = police.get("/leads", params={"status": "all"})
    assert inbox.status_code == 200 and code in inbox.text and "线索" in inbox.text
    found = police.get("/leads", params={"code": code.lower()}, follow_redirects=False)
    assert found.status_code == 303
    lead_url = found.headers["location"]
    page = police.get(lead_url)
    assert page.status_code == 200 and "孩子在观前街走散" in page.text and "签收" in page.text
    version = _hidden(page.text, "version")
    ack = police.post(f"{lead_url}/acknowledge", data={"version": version}, follow_redirects=False)
    assert ack.status_code == 303 and ack.headers["location"].endswith("?done=acknowledged")
    stale = police.post(f"{lead_url}/acknowledge", data={"version": version})
    assert stale.status_code == 409 and "已被他人更新" in stale.text
    page = police.get(lead_url)
    assert "已签收" in page.text
    no_reason = police.post(
        f"{lead_url}/transfer",
        data={
            "version": _hidden(page.text, "version"),
            "department": "civil_affairs",
            "county_code": "320508",
            "reason": "",
        },
    )
    assert no_reason.status_code == 422 and "请填写移交理由" in no_reason.text
    moved = police.post(
        f"{lead_url}/transfer",
        data={
            "version": _hidden(page.text, "version"),
            "department": "civil_affairs",
            "county_code": "320508",
            "reason": "流浪儿童",
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303 and code in moved.headers["location"]
    assert police.get(lead_url).status_code == 404


def test_hotline_intake_portal_and_summary_pages(login) -> None:  # type: ignore[no-untyped-def]
    police = login("gusu.police")
    form = police.get("/leads/new")
    assert form.status_code == 200 and "热线登记线索" in form.text
    r = police.post(
        "/leads/new",
        data={
            "idempotency_key": _hidden(form.text, "idempotency_key"),
            "lead_type": "trafficking",
            "description": "来电人称在长途车站看到可疑男子带两名儿童。",
            "county_code": "320506",
            "anonymous": "0",
            "reporter_name": "王先生",
            "reporter_phone": "13912345678",
        },
    )
    assert r.status_code == 201 and "请向来电人读出" in r.text
    school = login("gusu.school")
    portal = school.get("/portal")
    assert portal.status_code == 200 and "苏州市姑苏区某小学" in portal.text
    filed = school.post(
        "/portal",
        data={
            "idempotency_key": _hidden(portal.text, "idempotency_key"),
            "category": "sexual_abuse",
            "description": "学生反映课外班老师有不当身体接触。",
            "county_code": "320508",
        },
    )
    assert filed.status_code == 201 and "报告已送达公安机关" in filed.text
    assert school.get("/leads").status_code == 403
    chief = login("gusu.chief")
    summary = chief.get("/leads/summary")
    assert summary.status_code == 200 and "线索月报" in summary.text and "按来源" in summary.text
