"""Times mail in bulk: a roster of 2,000 imported through the admin page (enrol + queue the invitations), then
those 2,000 invitations delivered by the outbox to a real SMTP server on loopback (aiosmtpd in a thread).

The issue's targets: the import in under 10 s, the 2,000 mails in under 20 s.
Run: .venv/bin/python bench/bench_mail.py   (writes bench/results-mail.md)
BENCH_ROOT=/some/checkout runs the same script against another checkout's `lms` (the "before" figure).
"""
from __future__ import annotations

import io
import logging
import os
import re
import secrets
import socket
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
ROOT = Path(os.environ.get("BENCH_ROOT") or HERE)
# Run as a plain script (python bench/bench_mail.py), so the project root must be importable.
sys.path.insert(0, str(ROOT))

PEOPLE = 2_000
TARGET_IMPORT_S = 10.0
TARGET_MAIL_S = 20.0
RESULTS = HERE / "bench" / "results-mail.md"
ADMIN_EMAIL = "admin@bench.example.org"
ADMIN_PASSWORD = secrets.token_hex(16)


class Counter:
    """An aiosmtpd handler that only counts what it accepts, and over how many connections."""

    def __init__(self):
        self.received = 0
        self.sessions = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.received += 1
        self.sessions.add(session.peer)  # (address, port): one per connection
        return "250 Message accepted for delivery"


def roster() -> bytes:
    rows = "".join(f"Learner {number},learner{number}@bench.example.org,learner,UTC,Group {number % 8}\r\n"
                   for number in range(PEOPLE))
    return ("Name,Email,Role,Time zone,Group\r\n" + rows).encode()


def sign_in(client) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, "signing in failed"
    page = client.get("/auth/account").get_data(as_text=True)  # a new session at sign-in: a new form token
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def main() -> None:
    from aiosmtpd.controller import Controller

    workdir = tempfile.mkdtemp(prefix="lms-bench-mail-")
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir}/bench.db"
    os.environ["SECRET_KEY"] = secrets.token_hex(16)
    os.environ["LMS_ENV"] = "development"
    counter = Counter()
    with socket.socket() as probe:  # a free loopback port for the SMTP server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(counter, hostname="127.0.0.1", port=port)
    smtp.start()
    os.environ.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), LMS_BASE_URL="https://academy.example.org")

    from flask_migrate import upgrade
    from sqlalchemy import func, select
    from werkzeug.security import generate_password_hash

    from lms import create_app
    from lms.academies.models import Academy, Enrolment
    from lms.accounts.models import User
    from lms.core.extensions import db
    from lms.notifications import outbox
    from lms.notifications.models import OutgoingMail

    app = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
        academy = Academy(title="Bench Academy", home_timezone="UTC", reference_timezones="")
        db.session.add_all([academy, User(
            full_name="Bench Admin", email=ADMIN_EMAIL, is_admin=True,
            password_hash=generate_password_hash(ADMIN_PASSWORD, method="pbkdf2:sha256:1000"))])
        db.session.commit()
        academy_id = academy.id
        db.session.remove()

    client = app.test_client()
    token = sign_in(client)
    begin = time.perf_counter()
    response = client.post(f"/admin/academies/{academy_id}/people/import", data={
        "csrf_token": token, "roster": (io.BytesIO(roster()), "roster.csv")}, content_type="multipart/form-data")
    import_s = time.perf_counter() - begin
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    sent_in_request = counter.received

    with app.app_context():
        enrolled = db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.academy_id == academy_id))
        begin = time.perf_counter()
        with app.test_request_context("/", base_url="https://academy.example.org"):
            outbox.send_due()  # what the worker runs every minute
        mail_s = time.perf_counter() - begin
        counts = dict(db.session.execute(select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)).all())
        db.session.remove()
    smtp.stop()
    sent_by_outbox = counter.received - sent_in_request

    lines = [
        f"Mail benchmark: a roster of {PEOPLE:,} through the admin page (Flask test client in-process), then the "
        f"outbox delivering to aiosmtpd on loopback; SQLite unless BENCH_DATABASE_URL; code from {ROOT}.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| **roster import of {PEOPLE:,}** ({enrolled:,} enrolled, {sent_in_request:,} mails sent inside the "
        f"request) | **{import_s:.2f} s** — target < {TARGET_IMPORT_S:g} s: "
        f"**{'PASS' if import_s < TARGET_IMPORT_S else 'FAIL'}** |",
    ]
    if sent_by_outbox:
        lines.append(
            f"| **{sent_by_outbox:,} invitations delivered by send_due** over {len(counter.sessions):,} SMTP "
            f"connections | **{mail_s:.2f} s** ({sent_by_outbox / mail_s:.0f} a second) — target < "
            f"{TARGET_MAIL_S:g} s: **{'PASS' if mail_s < TARGET_MAIL_S else 'FAIL'}** |")
    else:
        lines.append(f"| invitations left for send_due | none (all {sent_in_request:,} sent inside the request, "
                     f"over {len(counter.sessions):,} connections) |")
    lines.append(f"| outbox afterwards | {counts} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if ROOT == HERE:
        RESULTS.write_text(table)


if __name__ == "__main__":
    main()
