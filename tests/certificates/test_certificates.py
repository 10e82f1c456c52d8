"""Issuing certificates with the real wkhtmltopdf: once per person, frozen, in every script, escaped, stored,
served, zipped, revoked and reissued; and the issue-certificates and doctor commands."""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.certificates import rendering, verification
from lms.certificates.eligibility import session_date
from lms.certificates.models import Certificate
from lms.core import pdf
from lms.core.extensions import db
from lms.core.pdf import verify_text_present
from lms.core.types import utcnow
from tests.factories import attend, eligible_learner, enrol, make_academy, make_user
from tests.helpers import fake_renderer, free_port, no_process_left, row_of, text_of

DATES = "17 April 2025 and 2 May 2025"

pytestmark = pytest.mark.skipif(
    not (shutil.which("wkhtmltopdf") and shutil.which("pdftotext")),
    reason="wkhtmltopdf or poppler-utils is not installed (scripts/install-system-deps.sh installs them)",
)


@pytest.fixture(autouse=True)
def real_renderer(monkeypatch):
    monkeypatch.delenv(pdf.EXECUTABLE_ENV, raising=False)


def count_certificates(**where) -> int:
    query = select(func.count()).select_from(Certificate)
    for name, value in where.items():
        query = query.where(getattr(Certificate, name) == value)
    return db.session.scalar(query)


def all_certificates() -> list[Certificate]:
    db.session.expire_all()
    return list(db.session.scalars(select(Certificate).order_by(Certificate.id)))


def issue_all(admin, academy):
    """Press "Issue to all eligible"; the suite's queue runs the job at once, so its page says what was done."""
    return admin.post(f"/admin/academies/{academy.id}/certificates/issue", follow_redirects=True)


def issue_one(admin, academy, user):
    return admin.post(f"/admin/academies/{academy.id}/certificates/issue/{user.id}", follow_redirects=True)


# --- issuing ---------------------------------------------------------------------------------

def test_issue_to_all_eligible_freezes_what_the_certificate_says(admin, academy):
    ingrid = eligible_learner(academy, "Ingrid Solberg")
    anna = eligible_learner(academy, "Anna Kuznetsova")
    absent = make_user("Absent Learner")
    enrol(absent, academy)
    attend(absent, academy, "present", "absent")

    page = admin.get(f"/admin/academies/{academy.id}/certificates")
    assert "Ready to issue (2)" in text_of(page)
    response = issue_all(admin, academy)

    assert "2 certificates issued." in text_of(response)
    issued = {certificate.user_id: certificate for certificate in all_certificates()}
    assert set(issued) == {ingrid.id, anna.id}
    first = issued[anna.id]  # issued in name order
    assert first.number == f"LA-{academy.id}-0001" and issued[ingrid.id].number == f"LA-{academy.id}-0002"
    assert first.name_as_printed == "Anna Kuznetsova"
    assert first.academy_title == "Peer Mentoring in Corrections"
    assert first.organiser == "International Corrections and Prisons Association"
    assert first.session_dates == DATES
    assert first.status == "valid" and first.issued_by_id == admin.user.id
    assert abs((utcnow() - first.issued_at).total_seconds()) < 60
    assert re.fullmatch(r"[A-Z2-7]{32}", first.verification_code)  # 160 random bits in base32
    assert first.grouped_code == "-".join(re.findall("....", first.verification_code))
    assert first.pdf.startswith(b"%PDF") and first.pdf_sha256 == hashlib.sha256(first.pdf).hexdigest()
    page = admin.get(f"/admin/academies/{academy.id}/certificates")
    assert "Not eligible yet" in row_of(page, absent)
    audited = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "certificate.issue")).all()
    assert sorted(audited) == [f"LA-{academy.id}-0001", f"LA-{academy.id}-0002"]
    assert f"LA-{academy.id}-0001 Valid" in row_of(page, anna)


def test_pressing_issue_to_all_twice_makes_no_second_certificate(admin, academy):
    eligible_learner(academy, "Ingrid Solberg")

    issue_all(admin, academy)
    again = issue_all(admin, academy)

    assert "Nobody is waiting for a certificate." in text_of(again)
    assert count_certificates() == 1


def test_issuing_to_one_person_twice_makes_one_certificate(admin, academy):
    ingrid = eligible_learner(academy, "Ingrid Solberg")
    eligible_learner(academy, "Anna Kuznetsova")

    first = issue_one(admin, academy, ingrid)
    second = issue_one(admin, academy, ingrid)  # a double click: the second POST arrives later

    assert f"Certificate LA-{academy.id}-0001 issued to Ingrid Solberg." in text_of(first)
    assert f"Ingrid Solberg already has certificate LA-{academy.id}-0001; nothing new was made." in text_of(second)
    assert count_certificates() == 1
    assert "Ready to issue (1)" in text_of(second)  # Anna still waits


def test_two_issues_at_the_same_moment_make_one_certificate(admin, academy, monkeypatch):
    ingrid = eligible_learner(academy, "Ingrid Solberg")
    real_render = pdf.render_pdf

    def render_while_another_click_lands(html, **kwargs):
        # The other request inserts its certificate while this one is rendering.
        with db.engine.begin() as connection:
            connection.execute(Certificate.__table__.insert().values(
                academy_id=academy.id, user_id=ingrid.id, number=f"LA-{academy.id}-0009",
                verification_code=verification.new_code(), name_as_printed="Ingrid Solberg",
                academy_title=academy.title, organiser="", session_dates=DATES, issued_at=utcnow(),
                status="valid", status_reason="", pdf_sha256="",
            ))
        monkeypatch.setattr(pdf, "render_pdf", real_render)
        return real_render(html, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", render_while_another_click_lands)
    response = issue_one(admin, academy, ingrid)

    assert f"Ingrid Solberg already has certificate LA-{academy.id}-0009" in text_of(response)
    assert count_certificates() == 1


def test_a_learner_who_does_not_meet_the_rule_is_refused(admin, academy):
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    attend(learner, academy, "present", "excused")

    response = issue_one(admin, academy, learner)

    assert ("Ingrid Solberg does not meet the rule yet (missing: Session Two (2 May 2025): excused absence)"
            in text_of(response))
    assert count_certificates() == 0


def test_an_exception_lets_the_admin_issue(admin, academy):
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    attend(learner, academy, "present", "excused")
    admin.post(f"/admin/academies/{academy.id}/certificates/exception/{learner.id}", {"reason": "Caught up."})

    response = issue_all(admin, academy)

    assert "1 certificate issued." in text_of(response)
    assert count_certificates(user_id=learner.id, status="valid") == 1


# --- a certificate says only what happened --------------------------------------------------

def test_no_certificate_before_the_last_session_has_taken_place_even_with_an_exception(admin):
    academy = make_academy("Next cohort", home_timezone="Europe/London")  # Session Two in 13 days
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    attend(learner, academy, "present")
    admin.post(f"/admin/academies/{academy.id}/certificates/exception/{learner.id}",
               {"reason": "Will be travelling for work on the day of Session Two."})

    page = admin.get(f"/admin/academies/{academy.id}/certificates")
    assert "Ready to issue (0)" in text_of(page)
    assert "Can be issued once the last session has taken place" in row_of(page, learner)
    response = issue_one(admin, academy, learner)
    last_day = session_date(academy.live_sessions[1], "Europe/London")
    assert ("Session Two has not ended yet. A certificate of attendance can only be issued once every session it "
            f"names has taken place: after {last_day}.") in text_of(response)
    assert "Nobody is waiting for a certificate." in text_of(issue_all(admin, academy))
    assert count_certificates() == 0


def test_an_excused_session_is_printed_as_excused_never_as_attended(admin, academy, make_browser):
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    attend(learner, academy, "present", "excused")
    admin.post(f"/admin/academies/{academy.id}/certificates/exception/{learner.id}",
               {"reason": "A family emergency on the day of Session Two; she watched the recording."})

    assert "1 certificate issued." in text_of(issue_all(admin, academy))

    (certificate,) = all_certificates()
    assert (certificate.session_dates, certificate.excused_dates) == ("17 April 2025", "2 May 2025")
    text = " ".join(pdf.pdf_text(certificate.pdf).split())
    assert ("attended the live session of the programme on 17 April 2025, and was excused from the session on "
            "2 May 2025") in text
    assert "17 April 2025 and 2 May 2025" not in text
    check = text_of(make_browser().get(f"/verify/{certificate.verification_code}"))
    assert "Live sessions 17 April 2025 Excused from 2 May 2025" in check
    # Reissued with a corrected name, it still says the same.
    admin.post(f"/admin/certificates/{certificate.id}/reissue", {"name_as_printed": "Ingrid M. Solberg"})
    replacement = all_certificates()[-1]
    assert (replacement.session_dates, replacement.excused_dates) == ("17 April 2025", "2 May 2025")


def test_everyone_present_is_printed_without_any_excuse(admin, academy):
    eligible_learner(academy, "Ingrid Solberg")
    issue_all(admin, academy)
    (certificate,) = all_certificates()
    assert (certificate.session_dates, certificate.excused_dates) == (DATES, "")
    text = " ".join(pdf.pdf_text(certificate.pdf).split())
    assert f"attended the live sessions of the programme on {DATES}" in text and "excused" not in text


def test_an_exception_cannot_certify_attendance_at_no_session_at_all(admin, academy):
    learner = make_user("Ingrid Solberg")
    enrol(learner, academy)
    attend(learner, academy, "absent", "excused")
    admin.post(f"/admin/academies/{academy.id}/certificates/exception/{learner.id}", {"reason": "Unwell."})

    response = issue_one(admin, academy, learner)

    assert ("Ingrid Solberg attended none of the live sessions, so a certificate of attendance would not be true, "
            "even with an exception.") in text_of(response)
    assert count_certificates() == 0


def test_editing_the_academy_later_changes_no_issued_certificate(admin, academy):
    learner = eligible_learner(academy, "Ingrid Solberg")
    issue_all(admin, academy)
    before = all_certificates()[0]
    stored = before.pdf

    response = admin.post(f"/admin/academies/{academy.id}/edit", {
        "title": "A Renamed Programme", "description": "", "organiser": "Someone Else",
        "home_timezone": "Asia/Singapore", "reference_timezones": "", "reminder_days": "2",
        "attendance_share": "75", "signatories": "",
    })
    assert response.status_code == 302
    admin.post(f"/admin/sessions/{academy.live_sessions[0].id}/edit", {
        "title": "Moved", "starts_local": "2025-04-20T10:00", "duration_minutes": "90", "join_url": "",
    })
    learner.full_name = "Ingrid Renamed"
    db.session.commit()

    after = all_certificates()[0]
    assert (after.name_as_printed, after.academy_title, after.organiser, after.session_dates) == (
        "Ingrid Solberg", "Peer Mentoring in Corrections", "International Corrections and Prisons Association", DATES)
    assert after.issued_at == before.issued_at and after.number == before.number
    assert after.pdf == stored
    check = text_of(admin.get(f"/verify/{after.verification_code}"))
    assert "Peer Mentoring in Corrections" in check and "A Renamed Programme" not in check


# --- the PDF ---------------------------------------------------------------------------------

NAMES = [
    "Ørjan Håland",
    "Łukasz Żółć",
    "Jean-François Côté",
    "Γιώργος Παπαδόπουλος",
    "Анна Кузнецова",
    "محمد الأحمد",
    "דוד כהן",
    "王小明",
]


@pytest.mark.parametrize("name", NAMES)
def test_the_pdf_shows_the_name_in_its_own_script(admin, academy, name):
    learner = eligible_learner(academy, name, email=f"learner{NAMES.index(name)}@example.org")

    response = issue_one(admin, academy, learner)

    assert "issued to" in text_of(response)
    certificate = all_certificates()[0]
    assert verify_text_present(
        certificate.pdf, name, "Peer Mentoring in Corrections", "Certificate of Attendance", DATES,
        "International Corrections and Prisons Association", certificate.number, certificate.grouped_code,
        "Jane Doe", "Executive Director", "Kari Nordmann", "Programme Lead",
        f"http://localhost/verify/{certificate.verification_code}",
    ) == []


def test_the_pdf_is_one_a4_landscape_page(admin, academy, tmp_path):
    learner = eligible_learner(academy, "Ingrid Solberg")
    issue_one(admin, academy, learner)

    (tmp_path / "certificate.pdf").write_bytes(all_certificates()[0].pdf)
    import subprocess

    info = subprocess.run(["pdfinfo", str(tmp_path / "certificate.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info)
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(width - 842) < 2 and abs(height - 595) < 2


def test_every_value_is_escaped(app, admin, academy):
    academy.title = "Mentoring <i>& more</i>"
    academy.signatories = "<b>Boss</b>, Director & <script>x</script>"
    db.session.commit()
    scripted = eligible_learner(academy, "<script>alert(1)</script>", email="scripted@example.org")
    quoted = eligible_learner(academy, 'Ann "&" <b>Lee</b>', email="ann@example.org")

    response = issue_all(admin, academy)

    assert "2 certificates issued." in text_of(response)
    page = admin.get(f"/admin/academies/{academy.id}/certificates").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    by_user = {certificate.user_id: certificate for certificate in all_certificates()}
    for user in (scripted, quoted):
        certificate = by_user[user.id]
        with app.test_request_context():
            html = rendering.certificates_html([certificate], academy.signatory_list, academy.home_timezone)
        assert user.full_name not in html
        assert "<b>" not in html and "<script>" not in html and "<i>" not in html
        assert verify_text_present(certificate.pdf, user.full_name, "Mentoring <i>& more</i>", "<b>Boss</b>") == []
    assert 'Ann &#34;&amp;&#34; &lt;b&gt;Lee&lt;/b&gt;' in html


def test_a_name_the_fonts_cannot_show_stops_issuing_for_that_person(admin, academy):
    hieroglyph = eligible_learner(academy, "Ann 𓀀 Lee", email="ann@example.org")
    plain = eligible_learner(academy, "Ingrid Solberg")

    alone = issue_one(admin, academy, hieroglyph)
    assert "Ann 𓀀 Lee: The name “Ann 𓀀 Lee” cannot be printed" in text_of(alone)
    assert count_certificates() == 0

    together = issue_all(admin, academy)
    assert "1 certificate issued." in text_of(together)
    assert "cannot be printed: the fonts on this server lack some of its characters" in text_of(together)
    assert count_certificates(user_id=plain.id) == 1 and count_certificates(user_id=hieroglyph.id) == 0


def test_a_missing_renderer_gives_a_clear_message_and_issues_nothing(admin, academy, monkeypatch):
    learner = eligible_learner(academy, "Ingrid Solberg")
    eligible_learner(academy, "Anna Kuznetsova")
    monkeypatch.setenv(pdf.EXECUTABLE_ENV, "/nonexistent")

    response = issue_all(admin, academy)
    assert ("The certificate PDF could not be made on this server just now, so nothing was issued. Please tell "
            "whoever runs the server (for them: wkhtmltopdf is not installed; run scripts/install-system-deps.sh"
            in text_of(response))
    one = issue_one(admin, academy, learner)
    assert "wkhtmltopdf is not installed" in text_of(one)

    assert count_certificates() == 0
    assert "Ready to issue (2)" in text_of(one)


# --- downloads -------------------------------------------------------------------------------

def test_the_learner_downloads_exactly_the_stored_pdf(admin, academy, make_browser):
    learner = eligible_learner(academy, "Jean-François Côté")
    issue_all(admin, academy)
    certificate = all_certificates()[0]
    browser = make_browser()
    browser.login(learner)

    page = browser.get("/learn/certificates")
    assert f'href="/learn/certificates/{certificate.id}.pdf"' in page.get_data(as_text=True)
    assert f"Certificate no. {certificate.number}" in text_of(page)
    response = browser.get(f"/learn/certificates/{certificate.id}.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == certificate.pdf
    assert hashlib.sha256(response.data).hexdigest() == certificate.pdf_sha256
    assert f"{certificate.number}-Jean-Francois-Cote.pdf" in response.headers["Content-Disposition"]
    assert admin.get(f"/admin/certificates/{certificate.id}.pdf").data == certificate.pdf


def test_a_stored_pdf_that_no_longer_matches_its_hash_is_refused(admin, academy, make_browser):
    learner = eligible_learner(academy, "Ingrid Solberg")
    issue_all(admin, academy)
    certificate = all_certificates()[0]
    certificate.pdf = certificate.pdf.replace(b"Ingrid", b"Ingrad", 1) + b"\n% changed"
    db.session.commit()
    browser = make_browser()
    browser.login(learner)

    response = browser.get(f"/learn/certificates/{certificate.id}.pdf")

    assert response.status_code == 500
    assert "does not match its fingerprint, so it was not sent" in text_of(response)
    assert admin.get(f"/admin/certificates/{certificate.id}.pdf").status_code == 500


def test_a_learner_cannot_download_someone_elses_certificate(admin, academy, make_browser):
    owner = eligible_learner(academy, "Ingrid Solberg")
    other = eligible_learner(academy, "Anna Kuznetsova")
    issue_one(admin, academy, owner)
    certificate = all_certificates()[0]
    browser = make_browser()
    browser.login(other)

    assert browser.get(f"/learn/certificates/{certificate.id}.pdf").status_code == 404
    assert browser.get(f"/learn/certificates/{certificate.id + 100}.pdf").status_code == 404
    assert browser.get(f"/admin/certificates/{certificate.id}.pdf").status_code == 403
    assert "Ingrid" not in text_of(browser.get("/learn/certificates"))


def _stored_certificate(academy, user, number, status="valid", name=None):
    document = f"%PDF-1.4 certificate {number}".encode()
    certificate = Certificate(
        academy_id=academy.id, user_id=user.id, number=number, verification_code=verification.new_code(),
        name_as_printed=name or user.full_name, academy_title=academy.title, organiser="", session_dates=DATES,
        status=status, status_reason="", pdf=document, pdf_sha256=hashlib.sha256(document).hexdigest(),
    )
    db.session.add(certificate)
    db.session.commit()
    return certificate


def test_the_zip_holds_one_pdf_per_valid_certificate(admin, academy):
    jean = eligible_learner(academy, "Jean-François Côté")
    wang = eligible_learner(academy, "王小明")
    revoked = eligible_learner(academy, "Revoked Person")
    valid = [_stored_certificate(academy, jean, f"LA-{academy.id}-0001"),
             _stored_certificate(academy, wang, f"LA-{academy.id}-0002")]
    _stored_certificate(academy, revoked, f"LA-{academy.id}-0003", status="revoked")

    page = admin.get(f"/admin/academies/{academy.id}/certificates")
    assert "Download all valid certificates (ZIP, 2 PDFs)" in text_of(page)
    response = admin.get(f"/admin/academies/{academy.id}/certificates.zip")

    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert archive.namelist() == [f"LA-{academy.id}-0001-Jean-Francois-Cote.pdf", f"LA-{academy.id}-0002.pdf"]
    assert [archive.read(name) for name in archive.namelist()] == [c.pdf for c in valid]
    assert response.headers["Content-Disposition"].isascii()


def test_an_empty_zip_is_not_offered(admin, academy):
    response = admin.get(f"/admin/academies/{academy.id}/certificates.zip", follow_redirects=True)

    assert "There are no valid certificates to download yet." in text_of(response)


# --- revoking and reissuing ------------------------------------------------------------------

def test_revoking_needs_a_reason_and_is_not_undone_by_issue_to_all(admin, academy, make_browser):
    learner = eligible_learner(academy, "Ingrid Solberg")
    issue_all(admin, academy)
    certificate = all_certificates()[0]

    refused = admin.post(f"/admin/certificates/{certificate.id}/revoke", {"reason": ""})
    assert refused.status_code == 400
    assert "Write the reason; it is kept with the certificate." in row_of(refused, learner)
    assert all_certificates()[0].status == "valid"

    response = admin.post(f"/admin/certificates/{certificate.id}/revoke",
                          {"reason": "Attendance was recorded in error."}, follow_redirects=True)

    assert f"Certificate {certificate.number} is revoked." in text_of(response)
    revoked = all_certificates()[0]
    assert revoked.status == "revoked" and revoked.status_reason == "Attendance was recorded in error."
    assert revoked.status_changed_at is not None
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "certificate.revoke")) == certificate.number
    assert "Nobody is waiting for a certificate." in text_of(issue_all(admin, academy))
    assert "Issue a new certificate to Ingrid Solberg" in row_of(response, learner)
    browser = make_browser()
    browser.login(learner)
    assert browser.get(f"/learn/certificates/{certificate.id}.pdf").status_code == 404
    assert "Your certificate was revoked" in text_of(browser.get("/learn/certificates"))
    again = admin.post(f"/admin/certificates/{certificate.id}/revoke", {"reason": "Twice"}, follow_redirects=True)
    assert "is not valid any more, so it cannot be revoked" in text_of(again)


def test_reissuing_with_a_corrected_name_supersedes_the_old_certificate(admin, academy):
    learner = eligible_learner(academy, "Ingrid Solbreg")
    issue_all(admin, academy)
    old = all_certificates()[0]

    empty = admin.post(f"/admin/certificates/{old.id}/reissue", {"name_as_printed": "  "})
    assert empty.status_code == 400
    assert "Enter the name as it should be printed." in row_of(empty, learner)
    response = admin.post(f"/admin/certificates/{old.id}/reissue", {"name_as_printed": "Ingrid  Solberg"},
                          follow_redirects=True)

    old, new = all_certificates()
    assert f"Certificate {old.number} is superseded by {new.number}." in text_of(response)
    assert old.status == "superseded" and old.superseded_by_id == new.id
    assert new.status == "valid" and new.name_as_printed == "Ingrid Solberg"
    assert new.number == f"LA-{academy.id}-0002" and new.verification_code != old.verification_code
    assert (new.academy_title, new.organiser, new.session_dates) == (old.academy_title, old.organiser, old.session_dates)
    assert verify_text_present(new.pdf, "Ingrid Solberg", new.number, new.grouped_code) == []
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "certificate.reissue")) == (
        f"{old.number} -> {new.number}")
    twice = admin.post(f"/admin/certificates/{old.id}/reissue", {"name_as_printed": "X"}, follow_redirects=True)
    assert "is superseded; only a valid one can be reissued" in text_of(twice)
    assert count_certificates() == 2


# --- the command line ------------------------------------------------------------------------

def test_issue_certificates_dry_run_saves_nothing(runner, academy):
    eligible_learner(academy, "Ingrid Solberg")
    eligible_learner(academy, "Anna Kuznetsova")

    result = runner.invoke(args=["lms", "issue-certificates", "--academy", str(academy.id), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "2 would get a certificate in Peer Mentoring in Corrections (dry run: nothing was saved)" in result.output
    assert "Anna Kuznetsova <anna.kuznetsova@example.org>" in result.output
    assert count_certificates() == 0


def test_issue_certificates_from_the_command_line(app, runner, academy, monkeypatch):
    eligible_learner(academy, "Ingrid Solberg")
    eligible_learner(academy, "Anna Kuznetsova")

    refused = runner.invoke(args=["lms", "issue-certificates", "--academy", str(academy.id)])
    assert refused.exit_code == 1 and "Set LMS_BASE_URL" in refused.output
    assert count_certificates() == 0

    monkeypatch.setitem(app.config, "LMS_BASE_URL", "https://academy.example.org/")
    result = runner.invoke(args=["lms", "issue-certificates", "--academy", str(academy.id)])

    assert result.exit_code == 0, result.output
    assert "Issuing 2 certificates" in result.output
    assert "2 issued, 0 already had one, 0 refused." in result.output
    first = all_certificates()[0]
    assert f"{first.number}  Anna Kuznetsova" in result.output
    assert first.issued_by_id is None
    assert verify_text_present(first.pdf, f"https://academy.example.org/verify/{first.verification_code}") == []
    again = runner.invoke(args=["lms", "issue-certificates", "--academy", str(academy.id)])
    assert "Nobody in Peer Mentoring in Corrections is waiting for a certificate." in again.output
    assert count_certificates() == 2
    unknown = runner.invoke(args=["lms", "issue-certificates", "--academy", "999999"])
    assert unknown.exit_code == 1 and "No academy has the id 999999." in unknown.output


def test_doctor_reports_each_part(app, runner, monkeypatch):
    result = runner.invoke(args=["lms", "doctor"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.match(r"OK +database: answers, schema at revision \S+ \(up to date\)", lines[0])
    assert re.match(r"OK +renderer: wkhtmltopdf 0\.12\.\d+.* at /\S*wkhtmltopdf; pdftotext at /\S*pdftotext", lines[1])
    assert lines[2].split() == ["OK", "fonts:", "found", "for", "latin,", "greek,", "cyrillic,", "arabic,", "hebrew,",
                                "chinese"]
    assert re.match(r"OK +mail: MAIL_SERVER is not set", lines[3])
    assert re.match(r"OK +queue: tasks run where they are queued \(LMS_QUEUE_URL=immediate\)", lines[4])

    monkeypatch.setenv(pdf.EXECUTABLE_ENV, "/nonexistent")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    troubled = runner.invoke(args=["lms", "doctor"])

    assert troubled.exit_code == 0  # the site still works without certificates and mail
    assert re.search(r"^PROBLEM +renderer: wkhtmltopdf is not installed", troubled.output, re.M)
    assert re.search(r"^PROBLEM +mail: cannot talk to the SMTP server at 127\.0\.0\.1:\d+ \(", troubled.output, re.M)


def test_doctor_fails_when_the_database_cannot_be_reached(tmp_path):
    from lms import create_app
    from lms.config import TestingConfig

    class Unreachable(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'lms.db'}"

    broken = create_app(Unreachable)
    # The tests run inside the main app's context, which the command would otherwise use.
    with broken.app_context():
        result = broken.test_cli_runner().invoke(args=["lms", "doctor"])
        db.engine.dispose()

    assert result.exit_code == 1
    assert re.search(r"^PROBLEM +database: cannot be reached \(OperationalError", result.output, re.M)


def test_a_crashing_renderer_gives_a_clear_message_and_issues_nothing(admin, academy, monkeypatch, tmp_path):
    eligible_learner(academy, "Ingrid Solberg")
    renderer = fake_renderer(tmp_path, monkeypatch, "crashing-wkhtmltopdf", 'echo "Segmentation fault" >&2\nexit 139\n')

    response = issue_all(admin, academy)

    assert "The certificate PDF could not be made" in text_of(response)
    assert count_certificates() == 0
    assert no_process_left(str(renderer))  # its own path: other test runs may run one of the same name


def test_a_hanging_renderer_is_stopped_and_issues_nothing(app, admin, academy, monkeypatch, tmp_path):
    eligible_learner(academy, "Ingrid Solberg")
    renderer = fake_renderer(tmp_path, monkeypatch, "hanging-wkhtmltopdf", "sleep 60\n")
    monkeypatch.setitem(app.config, "LMS_PDF_TIMEOUT", 1.5)

    response = issue_all(admin, academy)

    assert "took longer than 1.5 seconds and was stopped" in text_of(response)
    assert count_certificates() == 0
    assert no_process_left(str(renderer))
