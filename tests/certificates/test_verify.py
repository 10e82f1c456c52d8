"""The public certificate check: what it shows (and never shows), codes typed any way, not found, rate limit."""
from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime

import pytest

from lms.certificates import rendering, verification
from lms.certificates.models import Certificate
from lms.core.extensions import db, limiter
from lms.core.pdf import verify_text_present
from lms.reflections.models import Reflection
from tests.factories import eligible_learner, make_reading
from tests.helpers import sign_in_admin, text_of


@pytest.fixture(autouse=True)
def fresh_limits():
    # Every test here calls the rate-limited pages from one address; each starts with a clean count.
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def learner(academy):
    user = eligible_learner(academy, "Ingrid Solberg", email="ingrid.private@example.org")
    reading = make_reading(academy)
    db.session.add(Reflection(user_id=user.id, reading_id=reading.id, body="My very private reflection",
                              status="submitted"))
    db.session.commit()
    return user


def certificate_for(academy, user, status="valid", reason="", number=None) -> Certificate:
    """A certificate row as issuing stores it (the check page reads no PDF, so none is rendered here)."""
    certificate = Certificate(
        academy_id=academy.id, user_id=user.id, number=number or f"LA-{academy.id}-0001",
        verification_code=verification.new_code(), name_as_printed=user.full_name,
        academy_title=academy.title, organiser=academy.organiser,
        session_dates=rendering.session_dates_text(academy),
        issued_at=datetime(2025, 5, 3, 15, 0, tzinfo=UTC), status=status, status_reason=reason,
        pdf=b"%PDF-1.4", pdf_sha256="",
    )
    db.session.add(certificate)
    db.session.commit()
    return certificate


def test_a_valid_certificate_shows_what_it_certifies_and_nothing_else(browser, academy, learner):
    certificate = certificate_for(academy, learner)

    response = browser.get(f"/verify/{certificate.verification_code}")

    assert response.status_code == 200
    page = text_of(response)
    assert "Valid. This certificate was issued by the Learning Academy and is valid." in page
    assert "Name as printed Ingrid Solberg" in page
    assert "Programme Peer Mentoring in Corrections" in page
    assert "Live sessions 17 April 2025 and 2 May 2025" in page
    assert "Issued 3 May 2025" in page
    assert certificate.grouped_code in page
    html = response.get_data(as_text=True)
    for private in ("ingrid.private@example.org", "private@", "My very private reflection", "Session One",
                    "Attended", "exception", str(learner.id) + "/"):
        assert private not in html


def test_a_revoked_certificate_says_revoked_and_neither_why_nor_whose(browser, academy, learner):
    certificate = certificate_for(academy, learner, status="revoked", reason="Attendance fraud suspected")

    page = text_of(browser.get(f"/verify/{certificate.verification_code}"))

    assert "Revoked. This certificate was issued, then revoked. It is no longer valid." in page
    assert "Ingrid" not in page and "Solberg" not in page  # the name is on the paper the verifier holds
    assert "fraud" not in page and "Valid." not in page


def test_a_superseded_certificate_says_so_without_pointing_to_the_new_one(browser, academy, learner):
    old = certificate_for(academy, learner, status="superseded", reason="Reissued as LA-1-0002")
    new = certificate_for(academy, learner, number=f"LA-{academy.id}-0002")
    old.superseded_by_id = new.id
    db.session.commit()

    response = browser.get(f"/verify/{old.verification_code}")

    page = text_of(response)
    assert "Superseded. This certificate was replaced by a corrected one. It is no longer valid." in page
    assert new.verification_code not in response.get_data(as_text=True) and "0002" not in page


def test_a_superseded_certificate_does_not_show_the_name_it_printed(browser, academy, learner):
    """Reissued with a corrected name: the old name (a former name, say) must not stay public."""
    old = certificate_for(academy, learner, status="superseded", reason="Reissued as LA-1-0002")
    old.name_as_printed = "Ivar Solberg"
    learner.full_name = "Ingrid Solberg"
    db.session.commit()
    new = certificate_for(academy, learner, number=f"LA-{academy.id}-0002")

    superseded = browser.get(f"/verify/{old.verification_code}").get_data(as_text=True)
    assert "Superseded." in superseded
    assert "Ivar" not in superseded and "Ingrid" not in superseded and "Name as printed" not in superseded
    assert "Peer Mentoring in Corrections" in superseded  # what the certificate was for still shows
    assert "Name as printed Ingrid Solberg" in text_of(browser.get(f"/verify/{new.verification_code}"))


def test_an_unknown_code_is_simply_not_found(browser, academy, learner):
    certificate_for(academy, learner)

    for code in ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "nonsense", "x" * 500):
        response = browser.get(f"/verify/{code}")
        assert response.status_code == 404
        assert "Certificate not found" in text_of(response)
        assert "Ingrid" not in text_of(response)


def test_codes_are_accepted_with_dashes_spaces_and_any_case(browser, academy, learner):
    certificate = certificate_for(academy, learner)
    grouped = certificate.grouped_code

    assert browser.get(f"/verify/{grouped.lower()}").status_code == 200
    assert browser.get(f"/verify/{grouped}").status_code == 200

    form = browser.get("/verify")
    assert form.status_code == 200
    assert '<label for="code">Certificate code</label>' in form.get_data(as_text=True)
    typed = " " + grouped.lower().replace("-", " - ") + " "
    response = browser.get("/verify", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{certificate.verification_code}")
    assert "Valid." in text_of(browser.get(response.headers["Location"]))

    empty = browser.get("/verify", query_string={"code": " -- "})
    assert empty.status_code == 400 and "Type the code printed on the certificate." in text_of(empty)


def test_codes_have_at_least_128_random_bits():
    codes = {verification.new_code() for _ in range(200)}

    assert len(codes) == 200
    assert all(re.fullmatch(r"[A-Z2-7]{32}", code) for code in codes)  # 32 base32 characters = 160 bits


def test_the_check_page_is_rate_limited(app, browser, academy, learner, monkeypatch):
    certificate = certificate_for(academy, learner)
    monkeypatch.setitem(app.config, "LMS_VERIFY_RATE_LIMIT", "3 per minute")

    statuses = [browser.get(f"/verify/{certificate.verification_code}").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    assert "Too many tries" in text_of(browser.get("/verify/ANYTHING"))
    limiter.reset()
    assert browser.get(f"/verify/{certificate.verification_code}").status_code == 200


@pytest.mark.skipif(not (shutil.which("wkhtmltopdf") and shutil.which("pdftotext")), reason="no PDF renderer")
def test_the_printed_address_opens_the_check_page(app, make_browser, academy, learner, monkeypatch):
    monkeypatch.delenv("LMS_WKHTMLTOPDF", raising=False)
    monkeypatch.setitem(app.config, "LMS_BASE_URL", "https://academy.example.org")
    admin = make_browser()
    sign_in_admin(admin)
    admin.post(f"/admin/academies/{academy.id}/certificates/issue/{learner.id}")
    certificate = db.session.query(Certificate).one()
    address = f"https://academy.example.org/verify/{certificate.verification_code}"

    assert verify_text_present(certificate.pdf, address, certificate.grouped_code) == []
    assert make_browser().get(address.removeprefix("https://academy.example.org")).status_code == 200
