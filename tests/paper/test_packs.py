"""Reading packs: through the real renderer, read back with pdftotext; the web page, the CLI and the codes."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.core.extensions import db
from lms.core.pdf import pdf_text
from lms.paper import codes
from lms.paper.models import PaperCode
from tests.factories import enrol, make_paper_learner, make_user
from tests.helpers import html, signed_in, text_of
from tests.paper.conftest import UNIT

CODE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


def squashed(document: bytes) -> str:
    return " ".join(pdf_text(document).split())


def codes_of(user) -> dict[str, str]:
    """reading title -> the code printed for `user`."""
    db.session.expire_all()
    return {code.reading.title: code.printed
            for code in db.session.scalars(select(PaperCode).where(PaperCode.user_id == user.id))}


def pack(browser, academy, **form):
    return browser.post(f"/facilitate/academies/{academy.id}/reading-pack.pdf",
                        {"group": "", "learner": "", "paper": "a4", **form})


def test_a_pack_for_one_learner_has_the_cover_every_reading_and_their_named_coded_pages(
        make_browser, academy, ole, facilitator):
    browser = signed_in(make_browser, facilitator)

    response = pack(browser, academy, learner=str(ole.id))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = squashed(response.data)
    mine = codes_of(ole)
    # Readings with a prompt have a page each, with its own code; the poem asks for nothing.
    assert sorted(mine) == ["Boundaries and care", "On lived experience"]
    for title in ("On lived experience", "Boundaries and care", "A short poem"):
        assert title in text
    for prompt in ("What did this make you think of?", "When did you say no to someone?"):
        assert prompt in text
    for code in mine.values():
        assert code in text
    assert "Write between 20 and 200 words." in text
    # Markdown rendered (no asterisks), links as addresses a reader can type.
    assert "Peer support is mutual." in text and "**" not in text
    assert "the guide (https://example.org/guide)" in text
    assert "https://example.org/plain" in text
    # The cover: the name and unit, and both sessions in the learner's own zone (Oslo), what to do.
    assert f"Reading pack for: Ole Hansen, {UNIT}" in text
    assert "Times are in Oslo, Norway." in text
    assert "Session One" in text and "Session Two" in text
    assert "What to do" in text
    # His name on each reflection page: the cover, and one per prompt.
    assert text.count("Ole Hansen") >= 3
    page = PdfReader(io.BytesIO(response.data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4 portrait


def test_a_pack_on_us_letter_paper(make_browser, academy, ole, facilitator):
    browser = signed_in(make_browser, facilitator)

    response = pack(browser, academy, learner=str(ole.id), paper="letter")

    page = PdfReader(io.BytesIO(response.data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)


def test_printing_again_prints_the_same_codes(make_browser, academy, ole, facilitator):
    browser = signed_in(make_browser, facilitator)
    pack(browser, academy, learner=str(ole.id))
    first = codes_of(ole)

    again = squashed(pack(browser, academy, learner=str(ole.id)).data)

    assert codes_of(ole) == first
    assert all(code in again for code in first.values())


def test_a_group_pack_has_each_learner_on_paper_with_their_own_codes_and_no_one_else(
        make_browser, academy, ole, kari, facilitator):
    online = make_user("Wei Ling Tan")
    enrol(online, academy, group="Norway")
    elsewhere = make_paper_learner("Per Elsewhere", through="Bergen prison")
    enrol(elsewhere, academy)
    browser = signed_in(make_browser, facilitator)

    text = squashed(pack(browser, academy, group=UNIT).data)

    for person in (ole, kari):
        assert all(code in text for code in codes_of(person).values())
    assert codes_of(online) == {} and codes_of(elsewhere) == {}
    assert "Wei Ling Tan" not in text and "Per Elsewhere" not in text
    assert text.index("Kari Berg") < text.index("Ole Hansen")  # by name


def test_with_nobody_on_paper_one_copy_has_a_space_for_the_name_and_no_codes(make_browser, academy, facilitator):
    browser = signed_in(make_browser, facilitator)

    response = pack(browser, academy)

    text = squashed(response.data)
    assert "Your name:" in text and "On lived experience" in text
    assert CODE.search(text) is None
    assert db.session.scalars(select(PaperCode)).all() == []


def test_the_cli_writes_the_pack_for_a_learner_by_id(runner, academy, ole, tmp_path):
    out = tmp_path / "pack.pdf"

    result = runner.invoke(args=["lms", "reading-pack", "--academy", str(academy.id), "--learner", str(ole.id),
                                 "--paper", "letter", "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert "for Ole Hansen" in result.output
    text = squashed(out.read_bytes())
    assert all(code in text for code in codes_of(ole).values()) and len(codes_of(ole)) == 2


def test_the_cli_says_plainly_when_the_learner_is_unknown(runner, academy, tmp_path):
    result = runner.invoke(args=["lms", "reading-pack", "--academy", str(academy.id), "--learner", "nobody@x.org",
                                 "--out", str(tmp_path / "pack.pdf")])

    assert result.exit_code != 0
    assert "No learner of Peer Mentoring Inside has the email or id “nobody@x.org”." in result.output
    assert not (tmp_path / "pack.pdf").exists()


def test_the_paper_page_offers_the_pack_and_says_who_is_on_paper(make_browser, academy, ole, facilitator):
    browser = signed_in(make_browser, facilitator)

    response = browser.get(f"/facilitate/academies/{academy.id}/paper")

    assert response.status_code == 200
    page = text_of(response)
    assert "Print a reading pack" in page and "Ole Hansen" in page and UNIT in page
    assert f'<option value="{UNIT}">' in html(response).replace("&#39;", "'")


def test_an_academy_without_readings_says_so_instead_of_printing(make_browser, facilitator, academy, ole):
    for reading in list(academy.readings):
        db.session.delete(reading)
    db.session.commit()
    browser = signed_in(make_browser, facilitator)

    response = pack(browser, academy)

    assert response.status_code == 400
    assert "has no readings to print yet" in text_of(response)


def test_a_pack_too_large_for_the_web_asks_for_a_smaller_group_and_makes_nothing(
        make_browser, app, academy, ole, kari, facilitator, monkeypatch, runner, tmp_path):
    monkeypatch.setitem(app.config, "LMS_PACK_MAX_COPIES", 1)
    browser = signed_in(make_browser, facilitator)

    response = pack(browser, academy, group=UNIT, paper="letter")

    assert response.status_code == 400
    assert "That is 2 learners' copies: at most 1 can be made here at once." in text_of(response)
    assert re.search(r'<input checked[^>]*value="letter"', html(response))  # the form keeps what was chosen
    assert db.session.scalars(select(PaperCode)).all() == []  # no codes handed out for a pack not printed
    assert pack(browser, academy, learner=str(ole.id)).status_code == 200  # one learner fits
    # The command line has no limit.
    out = tmp_path / "all.pdf"
    result = runner.invoke(args=["lms", "reading-pack", "--academy", str(academy.id), "--group", UNIT,
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Kari Berg" in squashed(out.read_bytes())


@pytest.mark.parametrize("typed", ["", "K7QX", "OOOO-IIII", "k7qx-m3pa0"])
def test_a_mistyped_code_is_refused_with_what_a_code_looks_like(academy, typed):
    with pytest.raises(Exception) as refused:
        codes.find(academy.id, typed)
    assert "code" in str(refused.value.message).lower()


def test_a_code_is_found_however_it_is_typed_but_only_in_its_own_academy(academy, ole):
    from tests.factories import make_academy

    found = codes.codes_for([ole.id], [academy.readings[0].id])[(ole.id, academy.readings[0].id)]
    db.session.commit()
    typed = f" {found.code[:4].lower()} {found.code[4:]} "

    assert codes.find(academy.id, typed).id == found.id
    other = make_academy("Another academy")
    with pytest.raises(Exception, match="No page of this academy has the code"):
        codes.find(other.id, found.code)
    assert not set(found.code) & set("01OI")
