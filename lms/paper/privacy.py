"""Personal data held for learners on paper: the codes on their printed pages, and transcriptions with scans."""
from lms.core.personal_data import PersonalColumn as P
from lms.core.personal_data import TableDeclaration

TABLES = (
    TableDeclaration(
        table="lms_paper_codes",
        about="The codes printed on your reflection pages, if you take part on paper",
        personal=(
            P("user_id", "whose page the code is printed on", "to file what you wrote on paper as your reflection"),
            P("created_at", "when your pages were first printed", "to keep a record of the pack"),
        ),
        not_personal=("id", "reading_id", "code"),
        who_sees="That academy's facilitators, and administrators.",
    ),
    TableDeclaration(
        table="lms_transcriptions",
        about="Reflections you wrote on paper, typed in by a facilitator",
        personal=(
            P("transcribed_by_id", "who typed it in", "shown beside the reflection, so everyone knows it came from paper"),
            P("transcribed_at", "when it was typed in", "shown beside the reflection"),
            P("scan", "a scan of the page you wrote, if one was taken (it shows your handwriting)",
              "so that facilitators can check the typed text against the page"),
            P("scan_type", "what kind of file the scan is", "to show the scan"),
        ),
        not_personal=("id", "reflection_id", "reflection_version", "scan_sha256"),
        who_sees="That academy's facilitators, and administrators (the scan); the typed text like any reflection.",
    ),
)


def export_person(person) -> dict:
    from lms.core.extensions import db
    from lms.core.personal_data import record
    from lms.paper.models import PaperCode, Transcription
    from lms.reflections.models import Reflection

    codes = db.session.scalars(db.select(PaperCode).where(PaperCode.user_id == person.id)).all()
    transcriptions = db.session.scalars(db.select(Transcription).join(Reflection).where(
        Reflection.user_id == person.id)).all()
    return {
        "Codes printed on your paper reading packs": [record(c, "code", "created_at") for c in codes],
        "Reflections you wrote on paper, typed in": [
            record(t, "reflection_version", "transcribed_at", "scan_type") for t in transcriptions],
    }


def export_files(person) -> dict:
    from lms.core.extensions import db
    from lms.paper.models import Transcription
    from lms.reflections.models import Reflection

    rows = db.session.execute(db.select(Transcription.id, Transcription.scan, Transcription.scan_type).join(
        Reflection).where(Reflection.user_id == person.id, Transcription.scan.is_not(None))).all()
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
    return {f"scans/scan-{row_id}.{extension.get(kind, 'bin')}": scan for row_id, scan, kind in rows}


def erase_person(person) -> dict:
    from lms.core.extensions import db
    from lms.paper.models import PaperCode, Transcription
    from lms.reflections.models import Reflection

    ids = db.select(Reflection.id).where(Reflection.user_id == person.id).scalar_subquery()
    return {
        "typed-in paper reflections and their scans": db.session.execute(
            db.delete(Transcription).where(Transcription.reflection_id.in_(ids))).rowcount,
        "codes printed on paper reading packs": db.session.execute(
            db.delete(PaperCode).where(PaperCode.user_id == person.id)).rowcount,
    }


def expire_academy(academy) -> dict:
    """Typed-in paper reflections and their scans go with the reflections (run before them)."""
    from lms.core.extensions import db
    from lms.paper.models import Transcription
    from lms.readings.models import Reading
    from lms.reflections.models import Reflection

    ids = db.select(Reflection.id).join(Reading).where(Reading.academy_id == academy.id).scalar_subquery()
    return {"typed-in paper reflections and their scans": db.session.execute(
        db.delete(Transcription).where(Transcription.reflection_id.in_(ids))).rowcount}
