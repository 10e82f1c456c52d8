"""PDF rendering with the real wkhtmltopdf: page size, scripts, lockdown, time limit, errors and rationing."""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pdfkit
import pytest

from lms.core import pdf
from lms.core.pdf import RendererError, build_command, pdf_text, render_pdf, renderer_status, verify_text_present
from tests.helpers import fake_renderer, no_process_left

NAMES = [
    "Ingrid Solberg",
    "Jean-François Côté",
    "Łukasz Żółć",
    "Ørjan Håland",
    "Γιώργος Παπαδόπουλος",
    "Анна Кузнецова",
    "محمد الأحمد",
    "דוד כהן",
    "王小明",
]

needs_renderer = pytest.mark.skipif(
    not (shutil.which("wkhtmltopdf") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="wkhtmltopdf or poppler-utils is not installed and scripts/install-system-deps.sh could not install them",
)


@pytest.fixture(autouse=True)
def real_renderer(monkeypatch):
    # Each test starts with the wkhtmltopdf on PATH; the fake-renderer tests set their own.
    monkeypatch.delenv(pdf.EXECUTABLE_ENV, raising=False)


def page(body: str) -> str:
    return f'<!doctype html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'


def text_or_error(html: str) -> str:
    """What a reader could see: the PDF's text, or the error message when rendering refused."""
    try:
        return pdf_text(render_pdf(html))
    except RendererError as error:
        return str(error)


@needs_renderer
def test_renders_one_a4_landscape_page(tmp_path):
    document = render_pdf(page("<h1>Certificate of attendance</h1>"))

    assert document.startswith(b"%PDF")
    (tmp_path / "out.pdf").write_bytes(document)
    info = subprocess.run(["pdfinfo", str(tmp_path / "out.pdf")], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(width - 842) < 2 and abs(height - 595) < 2
    assert re.search(r"Pages:\s+1\n", info)


@needs_renderer
def test_names_in_every_script_can_be_found_in_the_text():
    document = render_pdf(page("".join(f"<p>{name}</p>" for name in NAMES)))

    assert verify_text_present(document, *NAMES) == []
    assert verify_text_present(document, "Nobody Else", "王大明") == ["Nobody Else", "王大明"]


@needs_renderer
def test_a_many_page_render_splits_into_one_file_per_page_each_with_its_own_text():
    pages = "".join(f'<div style="page-break-after: always">{name}</div>' for name in NAMES[:4]) + "<div>Last</div>"
    document = render_pdf(page(pages))

    texts = pdf.page_texts(document)
    files = pdf.split_pages(document)

    assert len(texts) == len(files) == 5
    for name, text, single in zip([*NAMES[:4], "Last"], texts, files, strict=True):
        assert pdf.missing_texts(text, name) == []
        assert pdf.page_texts(single) == [text]  # the file holds exactly its page
        assert len(single) < len(document)
    assert pdf.missing_texts(texts[0], NAMES[1]) == [NAMES[1]]


def test_a_file_that_is_not_a_pdf_cannot_be_split():
    with pytest.raises(RendererError, match="could not be split into pages"):
        pdf.split_pages(b"%PDF-1.4 nothing else")


@needs_renderer
def test_javascript_does_not_run():
    text = pdf_text(render_pdf(page("<p>Before the script</p><script>document.write('JS RAN')</script>")))

    assert "Before the script" in text
    assert "JS RAN" not in text


@needs_renderer
def test_local_files_do_not_leak_even_when_meta_tags_ask(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4711")
    hostname = Path("/etc/hostname").read_text().strip()
    html = page(
        '<meta name="pdfkit-enable-local-file-access" content="">'
        '<p>Certificate</p><img src="file:///etc/passwd"><iframe src="file:///etc/hostname"></iframe>'
        f'<iframe src="file://{secret}"></iframe><link rel="stylesheet" href="file://{secret}">'
    )

    seen = text_or_error(html)

    assert "TOP-SECRET-4711" not in seen
    assert "root:" not in seen
    assert hostname not in seen
    # The same page without the lockdown does show the file: the check above can catch a leak.
    leaky = subprocess.run(
        ["wkhtmltopdf", "--quiet", "--enable-local-file-access", "-", "-"], input=html.encode(), capture_output=True
    )
    assert "TOP-SECRET-4711" in pdf_text(leaky.stdout)


@needs_renderer
def test_nothing_is_fetched_over_the_network():
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        html = page(
            f'<style>@font-face {{ font-family: Remote; src: url("{base}/font.woff"); }} p {{ font-family: Remote; }}</style>'
            f'<link rel="stylesheet" href="{base}/style.css"><p>Certificate</p><img src="{base}/x.png">'
        )

        # The unreachable font makes wkhtmltopdf exit 1; either way nothing may reach the server.
        text_or_error(html)
        assert requests == []

        # Without the closed proxy the same page does fetch: the server would have seen a leak.
        subprocess.run(["wkhtmltopdf", "--quiet", "-", "-"], input=html.encode(), capture_output=True, timeout=30)
        assert requests
    finally:
        server.shutdown()
        server.server_close()


def test_meta_tags_in_the_html_cannot_add_options(tmp_path, monkeypatch):
    executable = fake_renderer(tmp_path, monkeypatch, "wkhtmltopdf", "exit 0\n")
    html = page(
        '<meta name="pdfkit-enable-local-file-access" content="">'
        '<meta name="pdfkit-post-file" content="stolen /etc/passwd"><p>Certificate</p>'
    )

    command = build_command(html)

    assert not any("local-file-access" in part and part != "--disable-local-file-access" for part in command)
    assert not any("post-file" in part or "/etc/passwd" in part for part in command)
    assert command == build_command(page("<p>Certificate</p>"))
    # pdfkit's default prefix does obey them (CVE-2025-26240): the test would catch a regression.
    naive = pdfkit.PDFKit(html, "string", configuration=pdfkit.configuration(wkhtmltopdf=str(executable))).command()
    assert "--enable-local-file-access" in naive and "--post-file" in naive


def test_a_renderer_that_hangs_is_stopped_with_everything_it_started(tmp_path, monkeypatch):
    children = tmp_path / "children"
    script = fake_renderer(tmp_path, monkeypatch, "hanging-wkhtmltopdf.sh", f"sleep 30 &\necho $! > {children}\nwait\n")

    started = time.monotonic()
    with pytest.raises(RendererError, match="took longer than 1 seconds and was stopped"):
        render_pdf(page("<p>Certificate</p>"), timeout=1)

    assert time.monotonic() - started < 5
    assert no_process_left(str(script))
    sleeper = int(children.read_text())
    assert not is_running(sleeper)


def is_running(pid: int) -> bool:
    # A killed child that init has not reaped yet is a zombie ("Z"): it no longer runs.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_missing_renderer_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv(pdf.EXECUTABLE_ENV, "/nonexistent")
    with pytest.raises(RendererError, match="wkhtmltopdf is not installed; run scripts/install-system-deps.sh"):
        render_pdf(page("<p>Certificate</p>"))

    monkeypatch.delenv(pdf.EXECUTABLE_ENV)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RendererError, match="wkhtmltopdf is not installed; run scripts/install-system-deps.sh"):
        render_pdf(page("<p>Certificate</p>"))
    with pytest.raises(RendererError, match="pdftotext is not installed"):
        pdf_text(b"%PDF-1.4")


def test_a_renderer_that_fails_gives_its_last_error_lines(tmp_path, monkeypatch):
    fake_renderer(tmp_path, monkeypatch, "wkhtmltopdf", "echo 'Error: the page broke' >&2\nexit 1\n")

    with pytest.raises(RendererError, match=r"exit code 1: Error: the page broke"):
        render_pdf(page("<p>Certificate</p>"))


def test_a_renderer_that_prints_no_pdf_is_an_error(tmp_path, monkeypatch):
    fake_renderer(tmp_path, monkeypatch, "wkhtmltopdf", "cat >/dev/null\necho 'not a pdf'\n")

    with pytest.raises(RendererError, match="produced no PDF"):
        render_pdf(page("<p>Certificate</p>"))


def test_renders_wait_for_a_free_slot_shared_with_other_processes(tmp_path, monkeypatch):
    fake_renderer(tmp_path, monkeypatch, "wkhtmltopdf", "cat >/dev/null\necho '%PDF-1.4 fake'\n")
    # Slots of this test's own: other test runs on the machine hold (and free) the real ones at any time.
    monkeypatch.setattr(pdf, "LOCK_DIR", str(tmp_path / "slots"))
    os.makedirs(pdf.LOCK_DIR, exist_ok=True)
    # Hold every slot the way other gunicorn workers would: separate open files, so separate flocks.
    held = [os.open(os.path.join(pdf.LOCK_DIR, f"slot-{slot}.lock"), os.O_RDWR | os.O_CREAT) for slot in range(pdf.SLOTS)]
    try:
        for fd in held:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RendererError, match="No PDF renderer came free within 0.3 seconds"):
            render_pdf(page("<p>Certificate</p>"), timeout=0.3)
    finally:
        for fd in held:
            os.close(fd)

    assert render_pdf(page("<p>Certificate</p>")).startswith(b"%PDF")


@needs_renderer
def test_renderer_status_reports_the_renderer_and_fonts():
    status = renderer_status()

    assert status["wkhtmltopdf"] == shutil.which("wkhtmltopdf")
    assert status["wkhtmltopdf_version"].startswith("wkhtmltopdf 0.12")
    assert status["pdftotext"]
    assert status["fonts"] == dict.fromkeys(["latin", "greek", "cyrillic", "arabic", "hebrew", "chinese"], True)
