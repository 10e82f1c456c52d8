"""Printable reading packs: a cover, each reading in full, and a ruled reflection page with its code."""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

from flask import current_app, render_template
from markupsafe import Markup
from pypdf import PdfWriter
from sqlalchemy import or_, select

from lms.academies.models import Academy, Enrolment
from lms.accounts.models import User
from lms.core import pdf as pdf_renderer
from lms.core.dates import format_local
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.core.templating import render_markdown
from lms.core.timezones import default_clock, zone_label
from lms.paper import codes
from lms.paper.models import PaperCode
from lms.readings.models import Reading

PAPERS = {"a4": "A4", "letter": "Letter"}
# About as many words as a person writes by hand on one ruled line of the large-type page.
WORDS_PER_LINE = 9
MIN_LINES, MAX_LINES = 12, 17  # one page: a longer reflection goes on the back (the page says so)

# Sanitised Markdown (core/templating.render_markdown) writes links as <a href="..." rel="...">text</a>;
# on paper nobody can click them, so the address is printed beside the words.
_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)


class PackError(DomainError):
    """A pack cannot be made (nothing to print, an unknown learner, the renderer failed)."""


def printed_links(html: Markup) -> Markup:
    """The sanitised HTML with every link's address printed after its words (once, if they are the address)."""
    def visible(match: re.Match) -> str:
        href, words = match.group(1), match.group(2)
        if re.sub(r"<[^>]+>", "", words).strip() == href:  # both as escaped in the HTML
            return f"<span class=\"link\">{words}</span>"
        return f"{words} <span class=\"link\">({href})</span>"
    return Markup(_LINK.sub(visible, str(html)))


def lines_for(reading: Reading) -> int:
    return max(MIN_LINES, min(MAX_LINES, -(-(reading.max_words or 0) // WORDS_PER_LINE)))


@dataclass
class ReflectionPage:
    reading: Reading
    code: PaperCode | None
    lines: int


def learners_in(academy: Academy, group: str = "", learner: User | None = None) -> list[User]:
    """Whose packs to print: one learner; or the learners on paper of a group (an academy group, or the unit
    they take part through); or all the academy's learners on paper. By name."""
    if learner is not None:
        if not learner.is_learner_in(academy.id):
            raise PackError(f"{learner.full_name} is not a learner of {academy.title}.", field="learner")
        return [learner]
    query = (
        select(User).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.academy_id == academy.id, Enrolment.role == "learner", User.on_paper)
    )
    if group:
        query = query.where(or_(Enrolment.group_name == group, User.takes_part_through == group))
    return sorted(db.session.scalars(query), key=lambda user: (user.full_name.casefold(), user.id))


def find_learner(academy: Academy, typed: str) -> User:
    """A learner of the academy by email or id (what the CLI's --learner takes)."""
    typed = (typed or "").strip()
    query = select(User).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.academy_id == academy.id, Enrolment.role == "learner")
    if typed.isdigit():
        found = db.session.scalar(query.where(User.id == int(typed)))
    else:
        found = db.session.scalar(query.where(User.email == typed.lower()))
    if found is None:
        raise PackError(f"No learner of {academy.title} has the email or id “{typed}”.", field="learner")
    return found


def session_times(academy: Academy, zone_name: str, clock: str) -> list[tuple[str, str]]:
    """(title, 'Thursday 17 April 2025, 16:00 to 17:30') for each live session, in `zone_name`."""
    return [
        (live_session.title, f"{format_local(live_session.starts_at, zone_name, 'long', clock)} to "
                             f"{format_local(live_session.ends_at, zone_name, 'time', clock)}")
        for live_session in academy.live_sessions
    ]


def pack_html(academy: Academy, learner: User | None, zone_name: str, pages: dict[int, ReflectionPage],
              paper: str) -> str:
    readings = [(reading, printed_links(render_markdown(reading.body_markdown)), pages.get(reading.id))
                for reading in academy.readings]
    clock = learner.clock_format if learner else default_clock(zone_name)
    return render_template(
        "lms/paper/pack.html", academy=academy, learner=learner, zone=zone_label(zone_name),
        sessions=session_times(academy, zone_name, clock), readings=readings, page_size=PAPERS[paper],
    )


def reading_pack(academy: Academy, group: str = "", learner: User | None = None, paper: str = "a4",
                 max_copies: int | None = None) -> bytes:
    """The pack as one PDF: each learner's own copy in turn (their name and codes on every reflection page),
    or, when nobody in scope is on paper, one copy with a space for the name and no codes. More than
    `max_copies` copies are refused before any is made (the web's limit; None: no limit).

    Codes are made the first time they are printed (the caller commits)."""
    if paper not in PAPERS:
        raise PackError("Choose A4 or US Letter paper.", field="paper")
    if not academy.readings:
        raise PackError(f"{academy.title} has no readings to print yet.")
    people = learners_in(academy, group, learner)
    if max_copies is not None and len(people) > max_copies:
        raise PackError(f"That is {len(people)} learners' copies: at most {max_copies} can be made here at once. "
                        "Choose one group or unit at a time, or ask whoever runs the server to print them all "
                        "with `flask lms reading-pack`.", field="group")
    with_prompt = [reading.id for reading in academy.readings if reading.has_reflection]
    found = codes.codes_for([person.id for person in people], with_prompt)
    db.session.flush()
    copies: list[bytes] = []
    for person in people or [None]:
        pages = {
            reading.id: ReflectionPage(reading, found.get((person.id, reading.id)) if person else None,
                                       lines_for(reading))
            for reading in academy.readings if reading.has_reflection
        }
        zone_name = person.timezone if person else academy.home_timezone
        copies.append(_render(pack_html(academy, person, zone_name, pages, paper), paper, person, pages))
    return _joined(copies)


def _render(html: str, paper: str, person: User | None, pages: dict[int, ReflectionPage]) -> bytes:
    try:
        document = pdf_renderer.render_pdf(html, timeout=current_app.config["LMS_PDF_TIMEOUT"],
                                           page_size=PAPERS[paper], portrait=True, margin_mm=15)
        wanted = [page.code.printed for page in pages.values() if page.code]
        missing = pdf_renderer.verify_text_present(document, *([person.full_name] if person else []), *wanted)
    except pdf_renderer.RendererError as error:
        raise PackError(
            "The reading pack could not be made on this server just now. Please tell whoever runs the server "
            f"(for them: {error}; the README's doctor command checks it).") from error
    if missing:
        raise PackError(f"Some text cannot be printed with the fonts on this server: "
                        f"{', '.join('“' + text + '”' for text in missing)}. Nothing was printed.")
    return document


def pack_filename(academy: Academy, who: str, kind: str = "reading-pack") -> str:
    """'reading-pack-3-Ole-Hansen.pdf': plain ASCII, safe in any header or file system."""
    ascii_name = unicodedata.normalize("NFKD", who).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-")[:60].strip("-")
    return f"{kind}-{academy.id}-{slug}.pdf" if slug else f"{kind}-{academy.id}.pdf"


def _joined(documents: list[bytes]) -> bytes:
    if len(documents) == 1:
        return documents[0]
    writer = PdfWriter()
    for document in documents:
        writer.append(io.BytesIO(document))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
