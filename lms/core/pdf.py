"""HTML to PDF with wkhtmltopdf (through pdfkit), locked down, time-limited and rationed; reading text back out,
and splitting a many-page PDF into one file per page."""
from __future__ import annotations

import fcntl
import io
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unicodedata
from contextlib import contextmanager

import pdfkit
from pypdf import PdfReader, PdfWriter

# Tests and unusual installs point this at another executable; otherwise wkhtmltopdf is looked up on PATH.
EXECUTABLE_ENV = "LMS_WKHTMLTOPDF"
INSTALL_HINT = "run scripts/install-system-deps.sh"

# Nothing listens on the loopback discard port, so every http(s) fetch the page tries fails at once and
# nothing ever leaves the machine. Callers embed images and fonts as data: URIs; system fonts still
# come from fontconfig.
CLOSED_PROXY = "http://127.0.0.1:9"

OPTIONS = {
    "--disable-javascript": "",
    "--disable-local-file-access": "",
    "--proxy": CLOSED_PROXY,
    "--quiet": "",
    "--page-size": "A4",
    "--orientation": "Landscape",
    "--margin-top": "0mm",
    "--margin-right": "0mm",
    "--margin-bottom": "0mm",
    "--margin-left": "0mm",
    "--encoding": "UTF-8",
    # Debian's build (unpatched Qt) warns that it ignores this and makes no outline anyway.
    "--no-outline": "",
}

# Scripts a certificate must be able to show, as fontconfig languages that need fonts for them.
# Latin is checked for French (ç), Norwegian (ø å) and Polish (ł ż).
FONT_LANGUAGES = {
    "latin": ("fr", "no", "pl"),
    "greek": ("el",),
    "cyrillic": ("ru",),
    "arabic": ("ar",),
    "hebrew": ("he",),
    "chinese": ("zh",),
}

# One wkhtmltopdf per core at most. The semaphore queues the threads of one process without polling;
# gunicorn workers are separate processes, so each render also holds an flock on one of SLOTS files
# shared by all of this user's processes. The kernel drops a lock when its holder dies, so a crashed
# worker never keeps a slot.
SLOTS = os.cpu_count() or 1
_thread_slots = threading.BoundedSemaphore(SLOTS)
LOCK_DIR = os.path.join(tempfile.gettempdir(), f"lms-pdf-slots-{os.getuid()}")
SLOT_POLL_SECONDS = 0.05


class RendererError(Exception):
    """Rendering or reading a PDF failed; the message says why in plain words."""


# Page sizes a caller may ask for (wkhtmltopdf's names); the certificate is A4 landscape without margins.
PAGE_SIZES = ("A4", "Letter")


def render_pdf(html: str, *, timeout: float = 30, page_size: str = "A4", portrait: bool = False,
               margin_mm: int = 0) -> bytes:
    """Render one HTML document to PDF bytes, or raise RendererError within about `timeout` seconds."""
    deadline = time.monotonic() + timeout
    command = build_command(html, page_size=page_size, portrait=portrait, margin_mm=margin_mm)
    if not _thread_slots.acquire(timeout=max(deadline - time.monotonic(), 0)):
        raise RendererError(f"No PDF renderer came free within {timeout:g} seconds")
    try:
        with _process_slot(deadline, timeout):
            returncode, output, errors = _run(command, html.encode("utf-8"), deadline, timeout)
    finally:
        _thread_slots.release()
    if returncode != 0:
        raise RendererError(f"wkhtmltopdf failed with exit code {returncode}: {_last_lines(errors)}")
    if not output.startswith(b"%PDF"):
        raise RendererError(f"wkhtmltopdf produced no PDF: {_last_lines(errors)}")
    return output


def build_command(html: str, *, page_size: str = "A4", portrait: bool = False, margin_mm: int = 0) -> list[str]:
    """The wkhtmltopdf command line that render_pdf runs for this HTML (which goes in on stdin)."""
    if page_size not in PAGE_SIZES:
        raise ValueError(page_size)
    executable = _executable()
    # CVE-2025-26240: pdfkit turns <meta name="pdfkit-..."> tags in the HTML into command-line options
    # (such as --enable-local-file-access). A fresh random prefix per call means no tag can match.
    configuration = pdfkit.configuration(
        wkhtmltopdf=executable, meta_tag_prefix=f"pdfkit-{secrets.token_hex(16)}-"
    )
    margin = f"{int(margin_mm)}mm"
    options = {
        **OPTIONS,
        "--page-size": page_size,
        "--orientation": "Portrait" if portrait else "Landscape",
        "--margin-top": margin, "--margin-right": margin, "--margin-bottom": margin, "--margin-left": margin,
    }
    return pdfkit.PDFKit(html, "string", options=options, configuration=configuration).command()


def renderer_status() -> dict:
    """What the renderer needs, as plain values, for a health check."""
    try:
        executable = _executable()
    except RendererError:
        executable = None
    version = None
    if executable:
        try:
            done = subprocess.run([executable, "--version"], capture_output=True, timeout=10)
            version = done.stdout.decode("utf-8", "replace").strip() or None
        except (OSError, subprocess.TimeoutExpired):
            pass
    return {
        "wkhtmltopdf": executable,
        "wkhtmltopdf_version": version,
        "pdftotext": shutil.which("pdftotext"),
        "fonts": {script: all(_has_fonts_for(lang) for lang in langs) for script, langs in FONT_LANGUAGES.items()},
    }


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF, laid out roughly as on the page (pdftotext from poppler-utils)."""
    if not shutil.which("pdftotext"):
        raise RendererError(f"pdftotext is not installed; {INSTALL_HINT}")
    try:
        done = subprocess.run(
            ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        raise RendererError("pdftotext took longer than 30 seconds and was stopped") from None
    if done.returncode != 0:
        raise RendererError(f"pdftotext failed with exit code {done.returncode}: {_last_lines(done.stderr)}")
    return done.stdout.decode("utf-8", "replace")


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page of a PDF, in order (pdftotext ends every page with a form feed)."""
    pages = pdf_text(pdf).split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def verify_text_present(pdf: bytes, *texts: str) -> list[str]:
    """The texts that do not appear in the PDF (an empty list when all do)."""
    return missing_texts(pdf_text(pdf), *texts)


def missing_texts(found: str, *texts: str) -> list[str]:
    """The texts that do not appear in `found` (text read out of a PDF, or out of one of its pages).

    Both sides are NFKC-normalised and stripped of whitespace and invisible format characters, because
    pdftotext gives Arabic in presentation forms (NFKC maps them back to plain letters, and the lam-alef
    ligature back to two), some CJK characters as look-alike Kangxi radicals (NFKC maps 小 back), and
    wraps right-to-left runs in bidi embedding controls (U+202B ... U+202C). Poppler returns RTL text in
    logical order; a text with RTL letters is also accepted reversed, for extractors that give visual order.
    """
    found = _squash(found)
    missing = []
    for text in texts:
        wanted = _squash(text)
        if wanted in found:
            continue
        if _is_rtl(wanted) and wanted[::-1] in found:
            continue
        missing.append(text)
    return missing


def split_pages(pdf: bytes) -> list[bytes]:
    """One PDF per page of `pdf`, each holding only what its own page uses.

    wkhtmltopdf embeds one subset of each font for the whole document; a page copied out on its own keeps
    that shared subset (small: the glyphs of one batch), and objects no page of the new file uses are dropped.
    """
    try:
        reader = PdfReader(io.BytesIO(pdf))
        files = []
        for page in reader.pages:
            writer = PdfWriter()
            writer.add_page(page)
            writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
            out = io.BytesIO()
            writer.write(out)
            files.append(out.getvalue())
    except Exception as error:  # pypdf raises many kinds on a damaged file; all mean the same here
        raise RendererError(f"the rendered PDF could not be split into pages: {error}") from error
    return files


def _executable() -> str:
    configured = os.environ.get(EXECUTABLE_ENV)
    path = configured or shutil.which("wkhtmltopdf")
    if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
        where = f" (looked for {configured}, from {EXECUTABLE_ENV})" if configured else ""
        raise RendererError(f"wkhtmltopdf is not installed; {INSTALL_HINT}{where}")
    return path


@contextmanager
def _process_slot(deadline: float, timeout: float):
    """Hold one of SLOTS lock files while rendering; wait for a free one until the deadline."""
    fd = _take_slot(deadline, timeout)
    try:
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


def _take_slot(deadline: float, timeout: float) -> int:
    os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    # The directory is in a shared temp dir: refuse one that someone else made for us.
    if os.stat(LOCK_DIR).st_uid != os.getuid():
        raise RendererError(f"{LOCK_DIR} belongs to another user; remove it")
    while True:
        for slot in range(SLOTS):
            path = os.path.join(LOCK_DIR, f"slot-{slot}.lock")
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                os.close(fd)
        if time.monotonic() + SLOT_POLL_SECONDS > deadline:
            raise RendererError(f"No PDF renderer came free within {timeout:g} seconds")
        time.sleep(SLOT_POLL_SECONDS)


def _run(command: list[str], data: bytes, deadline: float, timeout: float) -> tuple[int, bytes, bytes]:
    # Its own session (and so process group), so that on timeout we can kill it with anything it started.
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        raise RendererError(f"wkhtmltopdf could not be started: {error}; {INSTALL_HINT}") from None
    try:
        output, errors = process.communicate(data, timeout=max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise RendererError(f"PDF rendering took longer than {timeout:g} seconds and was stopped") from None
    except BaseException:
        _kill_group(process)
        raise
    return process.returncode, output, errors


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()  # reap it, so no zombie is left behind


# Harmless warnings Debian's wkhtmltopdf prints on every run, even with --quiet; they would hide the real error.
_STDERR_NOISE = re.compile(
    r"The switch [^,]*, is not support using unpatched qt, and will be ignored\.|QStandardPaths: XDG_RUNTIME_DIR not set[^\n]*"
)


def _last_lines(stderr: bytes, count: int = 5) -> str:
    text = _STDERR_NOISE.sub("", stderr.decode("utf-8", "replace"))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "(no error output)"


def _has_fonts_for(lang: str) -> bool:
    try:
        done = subprocess.run(["fc-list", f":lang={lang}", "family"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(done.stdout.strip())


def _squash(text: str) -> str:
    # Whitespace and format characters (bidi controls, zero-width joiners) are layout, not content.
    text = unicodedata.normalize("NFKC", text)
    return "".join(char for char in text if not char.isspace() and unicodedata.category(char) != "Cf")


def _is_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)
