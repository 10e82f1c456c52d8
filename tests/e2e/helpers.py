"""Pieces of the browser journey: the server under test, an SMTP inbox, screenshots and axe-core checks.

Nothing here imports the application: the journey sees the LMS only as a browser and a mail client do.
"""
from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

E2E_DIR = Path(__file__).resolve().parent
# A Fernet key for this run (32 random bytes, url-safe base64): the app and its worker share it.
DATA_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
REPO = E2E_DIR.parents[1]
VENV_BIN = Path(sys.executable).parent
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
ARTIFACTS = REPO / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # as root (CI), Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_CANDIDATES = [REPO / "node_modules" / "axe-core" / "axe.min.js",
                  E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 800}  # a cheap phone
# The impacts that fail the check; "minor" and "moderate" are only written to the report.
BLOCKING_IMPACTS = {"serious", "critical"}

ADMIN_EMAIL = "ada.admin@example.org"
ADMIN_NAME = "Ada Lindqvist"
ADMIN_PASSWORD = "lantern orchard tapestry 42"
SECRET_KEY = "e2e-fixed-secret-key-not-for-production"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def axe_script() -> Path:
    for candidate in AXE_CANDIDATES:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "axe-core is not installed: run `npm ci` at the repository root (make e2e does it)."
    )


# --- mail ------------------------------------------------------------------------------------

class Inbox:
    """An aiosmtpd handler that keeps every message, and lets the test wait for one."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, subject_contains: str = "", timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages:
                    if to.lower() in str(message["To"]).lower() and subject_contains.lower() in str(
                        message["Subject"]
                    ).lower():
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(str(m["To"]), str(m["Subject"])) for m in self.messages]
                    raise AssertionError(f"No message to {to} about {subject_contains!r} arrived; got {seen}")
                self._arrived.wait(left)

    @staticmethod
    def body(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def save(self, path: Path) -> None:
        """Every message received, as sent, for the artefacts."""
        with self._arrived:
            path.write_text("\n\n".join(message.as_string() for message in self.messages))

    def link_in(self, message, pattern: str) -> str:
        found = re.search(pattern, self.body(message))
        assert found, f"No link matching {pattern!r} in:\n{self.body(message)}"
        return found.group(0)


# --- the server under test -------------------------------------------------------------------

def sqlalchemy_url(raw: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def empty_database(raw_url: str) -> None:
    """Drop every table of a shared test database (PostgreSQL from TEST_DATABASE_URL) before migrating."""
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(sqlalchemy_url(raw_url))
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        metadata.drop_all(engine)
    finally:
        engine.dispose()


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen
    log_path: Path
    env: dict = field(repr=False, default_factory=dict)
    worker: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return self.base_url + path

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGINT)  # Huey's consumer: stop after the task in hand
            try:
                self.worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait(timeout=5)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def flask(env: dict, *args: str, log) -> None:
    command = [str(VENV_BIN / "flask"), "--app", "wsgi", *args]
    result = subprocess.run(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=120,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        log.flush()
        raise RuntimeError(f"{' '.join(command[2:])} failed with exit code {result.returncode}; see {log.name}")


def start_server(work_dir: Path, smtp_port: int, log_path: Path) -> Server:
    """Migrate a fresh database, create the admin, and start gunicorn with two workers on a free port, and the
    LMS's queue worker (`flask lms worker`) beside it, as in production."""
    test_database = os.environ.get("TEST_DATABASE_URL")
    database = test_database or f"sqlite:///{work_dir / 'e2e.db'}"
    if test_database:
        empty_database(test_database)
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("LMS_", "MAIL_", "FLASK_"))},
        "LMS_ENV": "development",
        "SECRET_KEY": SECRET_KEY,
        "LMS_DATA_KEY": DATA_KEY,
        "DATABASE_URL": database,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_DEFAULT_SENDER": "Learning Academy <academy@example.org>",
        "PYTHONUNBUFFERED": "1",
        "LMS_QUEUE_URL": f"sqlite:///{work_dir / 'queue.db'}",
    }
    port = free_port()
    log = log_path.open("w")
    try:
        flask(env, "db", "upgrade", log=log)
        flask(env, "lms", "create-admin", "--email", ADMIN_EMAIL, "--name", ADMIN_NAME,
              "--timezone", "America/New_York", "--password", ADMIN_PASSWORD, log=log)
        # Threads: Chromium opens connections ahead of its requests (and pop-ups more); a sync worker would sit on
        # such an idle connection, as it cannot in production behind nginx (README: Deploying).
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}", "--no-control-socket",
             "--graceful-timeout", "10", "wsgi:app"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        worker = subprocess.Popen(
            [str(VENV_BIN / "flask"), "--app", "wsgi", "lms", "worker", "--workers", "2"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    finally:
        log.close()
    server = Server(f"http://127.0.0.1:{port}", process, log_path, env, worker)
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url("/auth/login"), timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"gunicorn did not answer within 30 s:\n{server.log_tail()}")
        time.sleep(0.1)


def temporary_directory() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="lms-e2e-")


# --- screenshots and accessibility -----------------------------------------------------------

# Markup that the site's Content-Security-Policy (script-src 'self'; style-src 'self') blocks in a real
# browser. The test context bypasses the CSP to inject axe, so this looks for it in the page instead.
CSP_BLOCKED_MARKUP = """() => {
  const found = [];
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  document.querySelectorAll('style').forEach((el) => found.push('inline <style> element: ' + describe(el)));
  document.querySelectorAll('script:not([src])').forEach((el) => found.push('inline <script>: ' + el.textContent.trim().slice(0, 60)));
  document.querySelectorAll('[style]').forEach((el) => found.push('style attribute on ' + describe(el) + ': ' + el.getAttribute('style')));
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) found.push(attr.name + ' handler on ' + describe(el));
    }
  }
  return found;
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html.slice(0, 200), summary: n.failureSummary})),
  }));
}"""


# Whether the page scrolls sideways, and which elements stick out past the right edge (ignoring those inside a
# box that scrolls on its own, such as a wide table's): what a person on a phone would have to scroll to read.
SIDEWAYS = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const inScrollBox = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (['auto', 'scroll', 'hidden'].includes(style.overflowX)) return true;
    }
    return false;
  };
  const sticking = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !inScrollBox(el)) {
      sticking.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
        ' (right edge at ' + Math.round(box.right) + ' px)');
    }
  }
  return {scrollWidth: root.scrollWidth, width: width, sticking: sticking.slice(0, 8)};
}"""


@dataclass
class PageCheck:
    step: str
    url: str
    violations: list = field(default_factory=list)
    csp_blocked: list = field(default_factory=list)
    # The same page at the other width (a phone's page at desktop width, a desktop's at 360 px).
    other_violations: list = field(default_factory=list)
    # At 360 px: {"scrollWidth", "width", "sticking"}.
    phone_layout: dict = field(default_factory=dict)

    @property
    def blocking(self) -> list:
        return [v for v in self.violations + self.other_violations if v["impact"] in BLOCKING_IMPACTS]

    @property
    def scrolls_sideways(self) -> bool:
        return bool(self.phone_layout) and self.phone_layout["scrollWidth"] > self.phone_layout["width"]


def _axe(page) -> list:
    # bypass_csp=True on the context lets this inline script run despite "script-src 'self'".
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    return page.evaluate(AXE_RUN)


def check_page(page, step: str) -> PageCheck:
    """Screenshot the page into the artefacts and run axe-core in it, at its own width and then at the other
    one (360 px for a desktop page, desktop width for a phone's), measuring at 360 px whether it scrolls
    sideways; the page is left at its own width."""
    page.wait_for_load_state("load")
    # Before the screenshot, which leaves empty style attributes behind on inputs (it hides the caret).
    csp_blocked = page.evaluate(CSP_BLOCKED_MARKUP)
    page.screenshot(path=str(ARTIFACTS / f"{step}.png"), full_page=True)
    own = dict(page.viewport_size)
    violations = _axe(page)
    on_phone = own["width"] <= PHONE["width"]
    phone_layout = page.evaluate(SIDEWAYS) if on_phone else {}
    other = DESKTOP if on_phone else PHONE
    page.set_viewport_size(other)
    try:
        other_violations = _axe(page)
        if not on_phone:
            phone_layout = page.evaluate(SIDEWAYS)
            page.screenshot(path=str(ARTIFACTS / f"{step}-360px.png"), full_page=True)
    finally:
        page.set_viewport_size(own)
    return PageCheck(step=step, url=page.url, violations=violations, csp_blocked=csp_blocked,
                     other_violations=other_violations, phone_layout=phone_layout)


def describe_violations(violations: list) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  <{v['helpUrl']}>")
        for node in v["nodes"][:8]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html']}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def write_report(checks: dict[str, PageCheck]) -> Path:
    path = ARTIFACTS / "accessibility.json"
    path.write_text(json.dumps(
        {name: {"url": c.url, "violations": c.violations, "violations_at_other_width": c.other_violations,
                "csp_blocked_markup": c.csp_blocked, "at_360px": c.phone_layout}
         for name, c in checks.items()},
        indent=2, ensure_ascii=False,
    ))
    return path
