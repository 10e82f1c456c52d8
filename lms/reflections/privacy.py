"""Personal data held by reflections: what learners write, every submitted version, and the feedback on it."""
from lms.core.personal_data import ACADEMY_PERIOD, TableDeclaration
from lms.core.personal_data import PersonalColumn as P

WHO_SEES = "Only you (the author), that academy's facilitators, and administrators."

TABLES = (
    TableDeclaration(
        table="lms_reflections",
        about="Your reflections on the readings",
        personal=(
            P("user_id", "who wrote it", "to show it to you and to those who review it"),
            P("body", "what you wrote (the current text, draft or submitted)",
              "so that you can write and submit it, and facilitators can give feedback"),
            P("status", "whether it is a draft, submitted, sent back for changes, or reviewed", "to know where it is in review"),
            P("created_at", "when you started it", "to show its history"),
            P("updated_at", "when you last changed it", "to show its history"),
            P("submitted_at", "when you submitted it", "to show its history and decide certificates"),
        ),
        not_personal=("id", "reading_id", "version_count"),
        who_sees=WHO_SEES,
    ).kept(ACADEMY_PERIOD),
    TableDeclaration(
        table="lms_reflection_versions",
        about="Every version of a reflection you submitted",
        personal=(
            P("body", "the text as you submitted it", "so that feedback always refers to the text it was given on"),
            P("submitted_at", "when you submitted that version", "to show its history"),
        ),
        not_personal=("id", "reflection_id", "number"),
        who_sees=WHO_SEES,
    ).kept(ACADEMY_PERIOD),
    TableDeclaration(
        table="lms_feedback",
        about="Facilitators' feedback on reflections",
        personal=(
            P("author_id", "the facilitator who wrote it", "to show who gave the feedback"),
            P("body", "the feedback text (it is about your reflection)", "to tell you what the facilitator thinks"),
            P("decision", "whether the reflection was accepted as reviewed, or changes were asked for", "to decide what you still have to do"),
            P("released_at", "when you could first see it", "to show its history"),
            P("created_at", "when it was written", "to show its history"),
            P("updated_at", "when it was last changed", "to show its history"),
        ),
        not_personal=("id", "reflection_id", "reflection_version", "edit_count"),
        who_sees=WHO_SEES,
    ).kept(ACADEMY_PERIOD),
)


def export_person(person) -> dict:
    """Their reflections, every submitted version, and the feedback they have been shown (released)."""
    from lms.core.extensions import db
    from lms.core.personal_data import record
    from lms.reflections.models import Reflection

    reflections = db.session.scalars(db.select(Reflection).where(Reflection.user_id == person.id)).all()
    return {"Your reflections": [{
        "reading": r.reading.title,
        **record(r, "body", "status", "created_at", "updated_at", "submitted_at"),
        "versions": [record(v, "number", "body", "submitted_at") for v in r.versions],
        "feedback": [{"version": f.reflection_version, "by": f.author.full_name if f.author else "",
                      **record(f, "body", "decision", "released_at")} for f in r.feedback if f.is_released],
    } for r in reflections]}


def erase_person(person) -> dict:
    from lms.core.extensions import db
    from lms.reflections.models import Feedback, Reflection, ReflectionVersion

    ids = db.select(Reflection.id).where(Reflection.user_id == person.id).scalar_subquery()
    counts = {
        "feedback on your reflections": db.session.execute(
            db.delete(Feedback).where(Feedback.reflection_id.in_(ids))).rowcount,
        "submitted versions of reflections": db.session.execute(
            db.delete(ReflectionVersion).where(ReflectionVersion.reflection_id.in_(ids))).rowcount,
    }
    counts["reflections"] = db.session.execute(db.delete(Reflection).where(Reflection.user_id == person.id)).rowcount
    return counts


def expire_academy(academy) -> dict:
    """Past the academy's retention period: its reflections, versions and feedback go; counts per reading stay."""
    from sqlalchemy import func

    from lms.core.extensions import db
    from lms.privacy.retention import keep_count
    from lms.readings.models import Reading
    from lms.reflections.models import Feedback, Reflection, ReflectionVersion

    readings = db.select(Reading.id).where(Reading.academy_id == academy.id)
    ids = db.select(Reflection.id).where(Reflection.reading_id.in_(readings.scalar_subquery()))
    for reading_id, submitted in db.session.execute(db.select(Reflection.reading_id, func.count()).where(
            Reflection.reading_id.in_(readings.scalar_subquery()), Reflection.status != "draft")
            .group_by(Reflection.reading_id)):
        keep_count(academy, reading_id, "reflections submitted", submitted)
    counts = {
        "feedback": db.session.execute(db.delete(Feedback).where(
            Feedback.reflection_id.in_(ids.scalar_subquery()))).rowcount,
        "submitted versions of reflections": db.session.execute(db.delete(ReflectionVersion).where(
            ReflectionVersion.reflection_id.in_(ids.scalar_subquery()))).rowcount,
    }
    counts["reflections"] = db.session.execute(db.delete(Reflection).where(
        Reflection.reading_id.in_(readings.scalar_subquery()))).rowcount
    return counts
