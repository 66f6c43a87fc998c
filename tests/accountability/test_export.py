"""The official report: a PDF that renders its Chinese text, and an Excel workbook."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from fanguai.accountability import evaluation, export_pdf
from fanguai.accountability.models import Evaluation
from tests.accountability.pdfcheck import glyph_problems, render_page

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def demo_evaluation(session) -> Evaluation:  # type: ignore[no-untyped-def]
    return (
        session.execute(select(Evaluation).where(Evaluation.status == "closed")).scalars().first()
    )


def test_the_pdf_is_a_government_document_whose_chinese_renders(login, demo_evaluation) -> None:  # type: ignore[no-untyped-def]
    r = login("jiangsu.office").get(f"/evaluations/{demo_evaluation.public_id}/report.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    ARTIFACTS.mkdir(exist_ok=True)
    image, text, chars = render_page(r.content, 0, save_to=ARTIFACTS / "evaluation-report-p1.png")
    assert export_pdf.ISSUER in text
    assert demo_evaluation.document_number in text
    assert "一、评估基本情况" in text
    assert glyph_problems(image, chars, "江苏省反对拐卖人口联席会议办公室") == []
    # The issuer's name is printed in red, as the standard has it.
    _, box = next(c for c in chars if c[0] == "江")
    crop = image.crop(box)
    pixels = np.asarray(crop).reshape(-1, 3).astype(int)
    r, g, b = pixels[pixels.sum(axis=1).argmin()]  # the darkest pixel of the glyph
    assert r > g + 80 and r > b + 80, (r, g, b)


def test_the_pdf_has_the_sections_in_order_and_the_lists(demo_evaluation, session) -> None:  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium

    from fanguai.db import utcnow

    res = evaluation.results(session, demo_evaluation)
    pdf = export_pdf.build_pdf(res, now=utcnow())
    doc = pdfium.PdfDocument(pdf)
    text = ""
    for i in range(len(doc)):
        tp = doc[i].get_textpage()
        text += tp.get_text_range()
        tp.close()
    doc.close()
    headings = [
        "一、评估基本情况",
        "二、分领域落实情况",
        "三、成员单位评估得分",
        "四、各地区评估情况",
        "五、措施落实情况",
        "六、表扬名单",
        "七、通报批评名单",
        "八、下步工作要求",
    ]
    positions = [text.find(h) for h in headings]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    measures = [text.find(code) for code in ("二(一)1", "二(二)1(1)", "二(三)1(1)", "二(五)6")]
    assert all(p >= 0 for p in measures) and measures == sorted(measures)
    for r in demo_evaluation.recognitions:
        assert r.unit.name in text.replace("\r\n", "").replace("\n", "")
    assert "— 1 —" in text


def test_without_a_chinese_font_the_export_says_what_to_install(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("FANGUAI_CJK_FONT", raising=False)
    monkeypatch.setattr(export_pdf, "FONT_CANDIDATES", (str(tmp_path / "none.ttc"),))
    with pytest.raises(export_pdf.FontUnavailable) as err:
        export_pdf.find_cjk_font()
    assert "fonts-wqy-microhei" in err.value.message and err.value.status_code == 503
    monkeypatch.setenv("FANGUAI_CJK_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    assert export_pdf.find_cjk_font().name == "wqy-microhei.ttc"


def test_the_workbook_holds_every_view(login, demo_evaluation, session) -> None:  # type: ignore[no-untyped-def]
    r = login("jiangsu.office").get(f"/evaluations/{demo_evaluation.public_id}/report.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == [
        "概况",
        "按领域",
        "按单位",
        "按地区",
        "按措施",
        "评分明细",
        "表扬与批评",
    ]
    res = evaluation.results(session, demo_evaluation)
    units = wb["按单位"]
    assert units["A1"].value == f"{demo_evaluation.title}——成员单位"
    first = [c.value for c in units[3]]
    assert first[:3] == [1, res.by_unit[0].key, res.by_unit[0].label]
    assert first[5] == res.by_unit[0].mean
    details = wb["评分明细"]
    assert details.max_row - 2 == len(res.items)
    lists = wb["表扬与批评"]
    assert lists.max_row - 2 == len(demo_evaluation.recognitions)
    assert {row[0].value for row in lists.iter_rows(min_row=3)} <= {"表扬", "通报批评"}
    overview = {row[0].value: row[1].value for row in wb["概况"].iter_rows(min_row=3)}
    assert overview["文号"] == demo_evaluation.document_number
    assert overview["评估事项"] == res.overall.items


def test_readers_outside_the_office_cannot_download_the_report(login, demo_evaluation) -> None:  # type: ignore[no-untyped-def]
    assert (
        login("jiangsu.mz.liaison")
        .get(f"/evaluations/{demo_evaluation.public_id}/report.pdf")
        .status_code
        == 403
    )


def test_the_glyph_check_notices_a_font_without_chinese_glyphs() -> None:
    # The same line drawn with a font that has no CJK glyphs must fail the check.
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("NoCJK", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    c.setFont("NoCJK", 24)
    c.drawString(50, 700, export_pdf.ISSUER)
    c.save()
    image, _, chars = render_page(buffer.getvalue())
    assert glyph_problems(image, chars, export_pdf.ISSUER) != []
