"""Helpers shared by the tests: where the repository and the sample files are, reading a page, counting rows,
signing in, free ports and real SMTP servers, and fake PDF renderers.

Object builders (people, academies, readings, enrolments, times) are in tests/factories.py."""
from __future__ import annotations

import email
import email.policy
import re
import socket
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select

from lms.core import pdf
from lms.core.extensions import db
from tests.factories import make_user

# --- where things are ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]  # the repository
# shared/ lies beside the repository, on a developer machine and in CI alike.
SAMPLES = ROOT.parent / "shared" / "samples"


# --- reading a response ----------------------------------------------------------------------

def html(response) -> str:
    """The response's body as text (the page's HTML)."""
    return response.get_data(as_text=True)


def text_of(response) -> str:
    """The page's visible words, tags removed and whitespace collapsed, for plain-language assertions."""
    page = html(response)
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())


def row_of(response, user) -> str:
    """The text of one learner's row on the admin certificates page."""
    found = re.search(rf'<tr id="learner-{user.id}">(.*?)</tr>\s*(?=<tr id=|</tbody>)', html(response), re.S)
    assert found, f"no row for {user.full_name}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def path_of(url: str) -> str:
    return urlsplit(url).path


# --- the database ----------------------------------------------------------------------------

def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- signing in ------------------------------------------------------------------------------

def sign_in_admin(browser):
    """Make Ada Admin and sign her in in `browser`; returns her."""
    user = make_user("Ada Admin", email="ada.admin@example.org", is_admin=True)
    assert browser.login(user).status_code == 302
    return user


def signed_in(make_browser, user):
    """A new browser in which `user` is signed in."""
    browser = make_browser()
    assert browser.login(user).status_code == 302
    return browser


def admin_signed_in(make_browser):
    """A new browser in which a new admin is signed in; the admin is `browser.user`."""
    browser = make_browser()
    browser.user = sign_in_admin(browser)
    return browser


# --- ports and mail --------------------------------------------------------------------------

def free_port() -> int:
    """A loopback port nothing listens on, for a server a test starts."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message a real SMTP server on loopback receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]

    def to(self, address: str):
        return [message for message in self.messages if message["To"] == address]


class SmtpServer:
    """Starts real SMTP servers on 127.0.0.1 (on a chosen port, or a free one); all stopped at the end."""

    def __init__(self):
        self.controllers = []

    def start(self, port: int | None = None) -> Inbox:
        from aiosmtpd.controller import Controller

        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
        controller.start()
        inbox.port = controller.port
        self.controllers.append(controller)
        return inbox

    def stop(self):
        for controller in self.controllers:
            controller.stop()


# --- PDF renderers ---------------------------------------------------------------------------

def fake_renderer(tmp_path: Path, monkeypatch, name: str, script: str) -> Path:
    """A shell script in place of wkhtmltopdf, used by the app for the rest of the test."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    monkeypatch.setenv(pdf.EXECUTABLE_ENV, str(path))
    return path


def no_process_left(pattern: str) -> bool:
    """No process's command line contains `pattern` (pgrep -f finds none)."""
    return subprocess.run(["pgrep", "-f", pattern], capture_output=True).returncode == 1
