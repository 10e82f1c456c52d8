"""Reflection and feedback texts are stored encrypted (every version), read back as text, and the key rotates."""
from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import text

from lms.core.extensions import db
from lms.core.types import utcnow
from lms.reflections.models import Feedback, Reflection, ReflectionVersion
from tests.factories import enrol, make_academy, make_reading, make_user


def stored(table: str) -> list[str]:
    return list(db.session.execute(text(f"SELECT body FROM {table}")).scalars())


def a_reviewed_reflection():
    academy = make_academy()
    reading = make_reading(academy)
    learner = make_user("Ingrid Solberg", email="ingrid@example.org")
    facilitator = make_user("Femi Facilitator", email="femi@example.org")
    enrol(learner, academy)
    reflection = Reflection(user_id=learner.id, reading_id=reading.id, body="my own words now",
                            status="reviewed", version_count=1, submitted_at=utcnow())
    reflection.versions = [ReflectionVersion(number=1, body="my own words then", submitted_at=utcnow())]
    reflection.feedback = [Feedback(reflection_version=1, author_id=facilitator.id, body="kind words back",
                                    decision="reviewed", released_at=utcnow())]
    db.session.add(reflection)
    db.session.commit()
    return reflection


def test_texts_are_stored_encrypted_and_read_back_as_written(app):
    reflection = a_reviewed_reflection()
    for table, plain in (("lms_reflections", "my own words now"), ("lms_reflection_versions", "my own words then"),
                         ("lms_feedback", "kind words back")):
        (value,) = stored(table)
        assert "words" not in value
        assert Fernet(app.config["LMS_DATA_KEY"]).decrypt(value.encode()).decode() == plain
    db.session.expire_all()
    again = db.session.get(Reflection, reflection.id)
    assert again.body == "my own words now"
    assert again.versions[0].body == "my own words then"
    assert again.feedback[0].body == "kind words back"


def test_rotate_key_re_encrypts_every_text_with_the_new_first_key(app, runner):
    a_reviewed_reflection()
    old = app.config["LMS_DATA_KEY"]
    new = Fernet.generate_key().decode()
    app.config["LMS_DATA_KEY"] = f"{new},{old}"
    try:
        result = runner.invoke(args=["lms", "privacy", "rotate-key"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 3 stored texts" in result.output
        db.session.remove()
        # Only the new key is needed now.
        for table in ("lms_reflections", "lms_reflection_versions", "lms_feedback"):
            (value,) = stored(table)
            Fernet(new).decrypt(value.encode())
        app.config["LMS_DATA_KEY"] = new
        db.session.expire_all()
        assert db.session.scalars(db.select(ReflectionVersion.body)).one() == "my own words then"
    finally:
        app.config["LMS_DATA_KEY"] = old


def test_rotate_key_without_the_old_key_says_so_and_changes_nothing(app, runner):
    a_reviewed_reflection()
    before = stored("lms_reflections")
    old = app.config["LMS_DATA_KEY"]
    app.config["LMS_DATA_KEY"] = Fernet.generate_key().decode()
    try:
        result = runner.invoke(args=["lms", "privacy", "rotate-key"])
        assert result.exit_code == 1
        assert "keep the old key after the new one" in result.output
    finally:
        app.config["LMS_DATA_KEY"] = old
    db.session.remove()
    assert stored("lms_reflections") == before


def test_the_migration_encrypts_existing_texts_and_going_down_decrypts_them(tmp_path):
    from flask_migrate import downgrade, upgrade

    from lms import create_app
    from lms.config import TestingConfig

    class Fresh(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migrations.db'}"

    fresh = create_app(Fresh)
    with fresh.app_context():
        upgrade()
        a_reviewed_reflection()
        db.session.remove()
        downgrade(revision="0014_jobs")
        assert stored("lms_reflections") == ["my own words now"]
        assert stored("lms_feedback") == ["kind words back"]
        db.session.remove()
        upgrade()
        assert "words" not in stored("lms_reflection_versions")[0]
        assert db.session.scalars(db.select(ReflectionVersion.body)).one() == "my own words then"
        db.session.remove()
        db.engine.dispose()
