"""Personal data held by readings: which readings you opened and finished."""
from lms.core.personal_data import ACADEMY_PERIOD, TableDeclaration
from lms.core.personal_data import PersonalColumn as P

TABLES = (
    TableDeclaration(
        table="lms_readings",
        about="The readings themselves",
        personal=(),
        not_personal=("id", "academy_id", "position", "title", "body_markdown", "external_url",
                      "estimated_minutes", "reflection_prompt", "min_words", "max_words", "opens_at", "closes_at"),
    ),
    TableDeclaration(
        table="lms_reading_progress",
        about="Which readings you opened and finished",
        personal=(
            P("user_id", "whose progress it is", "to show you and your facilitators how far you are"),
            P("opened_at", "when you first opened a reading", "to show your progress"),
            P("finished_at", "when you marked a reading finished", "to show your progress and decide certificates"),
        ),
        not_personal=("id", "reading_id"),
        who_sees="You, the academy's facilitators, and administrators.",
    ).kept(ACADEMY_PERIOD),
)


def export_person(person) -> dict:
    from lms.core.extensions import db
    from lms.core.personal_data import record
    from lms.readings.models import Reading, ReadingProgress

    rows = db.session.execute(db.select(ReadingProgress, Reading.title).join(
        Reading, Reading.id == ReadingProgress.reading_id).where(ReadingProgress.user_id == person.id)).all()
    return {"Readings you opened": [{"reading": title, **record(p, "opened_at", "finished_at")}
                                    for p, title in rows]}


def erase_person(person) -> dict:
    from lms.core.extensions import db
    from lms.readings.models import ReadingProgress

    gone = db.session.execute(db.delete(ReadingProgress).where(ReadingProgress.user_id == person.id)).rowcount
    return {"records of readings opened": gone}


def expire_academy(academy) -> dict:
    """Past the academy's retention period: who opened and finished each reading goes; the counts stay."""
    from sqlalchemy import func

    from lms.core.extensions import db
    from lms.privacy.retention import keep_count
    from lms.readings.models import Reading, ReadingProgress

    readings = db.select(Reading.id).where(Reading.academy_id == academy.id).scalar_subquery()
    for reading_id, opened, finished in db.session.execute(
            db.select(ReadingProgress.reading_id, func.count(), func.count(ReadingProgress.finished_at))
            .where(ReadingProgress.reading_id.in_(readings)).group_by(ReadingProgress.reading_id)):
        keep_count(academy, reading_id, "readings opened", opened)
        keep_count(academy, reading_id, "readings finished", finished)
    gone = db.session.execute(db.delete(ReadingProgress).where(ReadingProgress.reading_id.in_(readings))).rowcount
    return {"records of readings opened": gone}
