"""The printed page of feedback handed back to a learner on paper: what they wrote, and the answer to it."""
from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import select

from lms.core import pdf as pdf_renderer
from lms.core.dates import format_local
from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.paper.models import PaperCode
from lms.paper.transcribing import transcriptions_of
from lms.reflections.models import Reflection


def feedback_html(reflection: Reflection) -> str:
    released = [item for item in reflection.feedback if item.is_released]
    if not released:
        raise DomainError("No feedback on this reflection has been released yet, so there is nothing to print.")
    latest = released[-1]
    learner = reflection.user
    version = next((v for v in reflection.versions if v.number == latest.reflection_version), None)
    transcribed = {record.reflection_version: record
                   for record in transcriptions_of([reflection.id]).get(reflection.id, [])}
    record = transcribed.get(latest.reflection_version)
    code = db.session.scalar(select(PaperCode).where(
        PaperCode.user_id == learner.id, PaperCode.reading_id == reflection.reading_id))
    zone_name, clock = learner.timezone, learner.clock_format
    return render_template(
        "lms/paper/feedback.html", reflection=reflection, reading=reflection.reading, learner=learner,
        academy=reflection.reading.academy, feedback=latest, version=version, code=code,
        released_on=format_local(latest.released_at, zone_name, "day", clock),
        transcribed=record, transcribed_on=format_local(record.transcribed_at, zone_name, "day", clock) if record else "",
    )


def feedback_pdf(reflection: Reflection) -> bytes:
    html = feedback_html(reflection)
    try:
        return pdf_renderer.render_pdf(html, timeout=current_app.config["LMS_PDF_TIMEOUT"], portrait=True,
                                       margin_mm=15)
    except pdf_renderer.RendererError as error:
        raise DomainError("The feedback page could not be made on this server just now. Please tell whoever "
                          f"runs the server (for them: {error}).") from error
