"""Learners on paper through the whole cycle, through the pages people use: enrolled without email, their
pack printed with their names and codes, reflections typed in and given feedback, the unit marked present at
both sessions, certificates issued and printed in the unit's batch, each verifiable; and no mail, ever."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.core.extensions import db
from lms.core.pdf import pdf_text
from lms.notifications.models import OutgoingMail
from lms.paper.models import PaperCode
from lms.reflections.models import Reflection
from tests.factories import enrol, make_reading, make_user, published_academy
from tests.helpers import admin_signed_in, html, signed_in, text_of
from tests.paper.conftest import UNIT

WRITTEN = {
    "On lived experience": "When I read this I thought about the first week here and who helped me then.",
    "Boundaries and care": "I said no to my cousin when he asked me to hold something for him. It was hard.",
}


def squashed(document: bytes) -> str:
    return " ".join(pdf_text(document).split())


def form_key(browser, url: str) -> str:
    return re.search(r'name="form_key"[^>]*value="([^"]+)"', html(browser.get(url))).group(1)


def test_learners_on_paper_through_the_whole_cycle(make_browser):
    academy = published_academy()  # both sessions in 2025: over
    academy.require_reflections = True
    db.session.commit()
    for title in WRITTEN:
        make_reading(academy, title, prompt=f"Your thoughts on {title.lower()}?")
    facilitator = make_user("Dana Whitfield")
    enrol(facilitator, academy, role="facilitator")
    admin = admin_signed_in(make_browser)

    # 1. Enrolled without email, through the unit, from the academy's People page.
    for name in ("Ole Hansen", "Kari Berg"):
        added = admin.post(f"/admin/academies/{academy.id}/people/add", {
            "full_name": name, "email": "", "takes_part_through": UNIT, "role": "learner",
            "timezone": "Europe/Oslo", "group": ""})
        assert added.status_code == 200, text_of(added)
    online = make_user("Wei Ling Tan")
    enrol(online, academy)
    ole, kari = (db.session.scalar(select(User).where(User.full_name == name)) for name in ("Ole Hansen", "Kari Berg"))
    assert ole.email is None and kari.email is None

    # 2. The unit's pack: each of them, named, with a code per reflection page.
    facilitating = signed_in(make_browser, facilitator)
    pack = facilitating.post(f"/facilitate/academies/{academy.id}/reading-pack.pdf",
                             {"group": UNIT, "learner": "", "paper": "letter"})
    assert pack.status_code == 200
    text = squashed(pack.data)
    printed = {(code.user_id, code.reading.title): code.printed for code in db.session.scalars(select(PaperCode))}
    assert len(printed) == 4
    for title in WRITTEN:
        assert title in text and f"Your thoughts on {title.lower()}?" in text
    for code in printed.values():
        assert code in text
    assert "Ole Hansen" in text and "Kari Berg" in text and "Wei Ling Tan" not in text

    # 3. What they wrote, typed in by the code on each page.
    paper_page = f"/facilitate/academies/{academy.id}/paper"
    for person in (ole, kari):
        for title, words in WRITTEN.items():
            response = facilitating.post(f"/facilitate/academies/{academy.id}/transcriptions", {
                "form_key": form_key(facilitating, paper_page), "code": printed[(person.id, title)],
                "learner": "", "reading": "", "body": words})
            assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    reflections = db.session.scalars(select(Reflection).where(Reflection.user_id.in_([ole.id, kari.id]))).all()
    assert sorted(r.status for r in reflections) == ["submitted"] * 4

    # ... and given feedback, printed to hand back.
    for reflection in reflections:
        url = f"/facilitate/reflections/{reflection.id}"
        seen = re.search(r'name="seen_version"[^>]*value="([^"]*)"', html(facilitating.get(url))).group(1)
        released = facilitating.post(url, {"body": f"Thank you, {reflection.user.full_name}.", "action": "reviewed",
                                           "seen_edit_count": "", "seen_version": seen})
        assert released.status_code == 302
    handed_back = facilitating.get(f"/facilitate/reflections/{reflections[0].id}/feedback.pdf")
    assert f"Thank you, {reflections[0].user.full_name}." in squashed(handed_back.data)

    # 4. The unit joined both sessions in one room: marked present together, 88 minutes each time.
    for live_session in academy.live_sessions:
        marked = admin.post(f"/admin/sessions/{live_session.id}/attendance/group", {"group": UNIT, "minutes": "88"})
        assert marked.status_code == 302
        grid = text_of(admin.get(f"/admin/sessions/{live_session.id}/attendance"))
        assert f"Ole Hansen not recorded → present (88 min), by Ada Admin (present via {UNIT})" in grid

    # Progress and eligibility count them like anyone.
    progress = text_of(facilitating.get(f"/facilitate/academies/{academy.id}/progress"))
    assert "Ole Hansen on paper" in progress

    # 5. Certificates issued, and printed in the unit's batch.
    issued = admin.post(f"/admin/academies/{academy.id}/certificates/issue")
    assert issued.status_code == 302
    db.session.expire_all()
    certificates = {c.user_id: c for c in db.session.scalars(select(Certificate).where(Certificate.status == "valid"))}
    assert set(certificates) == {ole.id, kari.id}  # Wei attended nothing
    batch = admin.get(f"/admin/academies/{academy.id}/certificates/batch.pdf?group={UNIT}")
    assert (batch.status_code, batch.mimetype) == (200, "application/pdf")
    assert len(PdfReader(io.BytesIO(batch.data)).pages) == 2
    batch_text = squashed(batch.data)
    for certificate in certificates.values():
        assert certificate.name_as_printed in batch_text and certificate.grouped_code in batch_text
        checked = text_of(make_browser().get(f"/verify/{certificate.verification_code}"))
        assert f"Name as printed {certificate.name_as_printed}" in checked and "Valid." in checked
    assert batch_text.index("Kari Berg") < batch_text.index("Ole Hansen")

    # 6. Not one message was ever queued for them (feedback was released four times; tests/notifications
    # shows the same for the readings-open mail and reminders).
    assert {m.to_address for m in db.session.scalars(select(OutgoingMail))} <= {online.email}
