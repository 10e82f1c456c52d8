"""Migrations keep the data: up and down on a database full of rows (SQLite, where changing a column
rebuilds the table and foreign keys would otherwise cascade the rebuild's DROP into every child table)."""
from __future__ import annotations

from datetime import timedelta

from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from lms import create_app
from lms.academies.models import Academy, Enrolment, LiveSession
from lms.accounts.models import User
from lms.config import TestingConfig
from lms.core.extensions import db
from lms.core.types import utcnow
from lms.readings.models import Reading, ReadingProgress
from lms.reflections.models import Reflection
from lms.schema import MIGRATIONS

COUNTED = (Academy, LiveSession, Reading, User, Enrolment, ReadingProgress, Reflection)


def counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model.__table__))
            for model in COUNTED}


def test_going_down_and_up_again_keeps_every_row(tmp_path):
    class Fresh(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migrations.db'}"

    app = create_app(Fresh)
    with app.app_context():
        upgrade()
        academy = Academy(title="Peer Mentoring", home_timezone="Europe/London")
        start = utcnow() - timedelta(days=1)
        academy.live_sessions = [
            LiveSession(title="One", starts_at=start, duration_minutes=90),
            LiveSession(title="Two", starts_at=start + timedelta(days=14), duration_minutes=90),
        ]
        reading = Reading(academy=academy, title="On lived experience", body_markdown="Text",
                          reflection_prompt="Why?")
        learner = User(full_name="Ingrid Solberg", email="ingrid@example.org", timezone="Europe/Oslo")
        db.session.add_all([academy, reading, learner])
        db.session.flush()
        db.session.add_all([
            Enrolment(user_id=learner.id, academy_id=academy.id, role="learner", group_name="Blue"),
            ReadingProgress(user_id=learner.id, reading_id=reading.id, opened_at=utcnow()),
            Reflection(user_id=learner.id, reading_id=reading.id, body="My thoughts", status="draft"),
        ])
        db.session.commit()
        before = counts()
        assert all(before.values()), before
        db.session.remove()

        downgrade(revision="0004_audit_sessions")
        assert "content_version" not in {column["name"] for column in inspect(db.engine).get_columns("lms_academies")}
        assert counts() == before
        db.session.remove()
        # All the way down to the first revision, whose tables hold every row counted here.
        downgrade(revision="e2033103c859")
        assert "session_version" not in {column["name"] for column in inspect(db.engine).get_columns("lms_users")}
        assert counts() == before
        db.session.remove()
        upgrade()
        assert counts() == before
        assert db.session.scalar(select(Academy.content_version)) == 0
        db.session.remove()

        # Foreign keys are enforced again on the app's connections afterwards.
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_a_database_that_recorded_the_plugin_in_alembic_version_carries_on(tmp_path, runner):
    """Databases made before the plugin kept its own version table: the next upgrade moves the row over
    and carries on from that revision, keeping every row."""
    class Fresh(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'older.db'}"

    app = create_app(Fresh)
    with app.app_context():
        upgrade(revision="0006_enrolment_group_index")
        with db.engine.begin() as connection:  # a person, and the version table as an older release left it
            connection.exec_driver_sql(
                "INSERT INTO lms_users (email, full_name, timezone, is_admin, is_active_account, session_version, "
                "created_at) VALUES ('ingrid@example.org', 'Ingrid Solberg', 'Europe/Oslo', 0, 1, 0, '2025-01-01')"
            )
            connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
            connection.exec_driver_sql("INSERT INTO alembic_version SELECT version_num FROM lms_alembic_version")
            connection.exec_driver_sql("DROP TABLE lms_alembic_version")
        db.session.remove()

        result = app.test_cli_runner().invoke(args=["lms", "db", "upgrade"])
        assert result.exit_code == 0, result.output

        tables = inspect(db.engine).get_table_names()
        assert "alembic_version" not in tables
        with db.engine.connect() as connection:
            recorded = connection.exec_driver_sql("SELECT version_num FROM lms_alembic_version").scalar()
        assert [recorded] == ScriptDirectory(str(MIGRATIONS)).get_heads()  # carried on to the newest revision
        assert "host_id" in {column["name"] for column in inspect(db.engine).get_columns("lms_users")}
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        db.engine.dispose()


def test_lti_scores_keep_the_newest_value_per_person_and_line_item(tmp_path):
    """0015_lti_scores: one row per person, line item and course, the newest of the values kept before."""
    from sqlalchemy import text

    class Fresh(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'scores.db'}"

    app = create_app(Fresh)
    with app.app_context():
        upgrade(revision="0012_privacy")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO lms_users (id, full_name, email, timezone, is_admin, is_active_account,"
                                    " session_version, timezone_confirmed, takes_part_through, created_at) VALUES "
                                    "(1, 'Ada', 'ada@example.org', 'UTC', 0, 1, 1, 0, '', '2026-12-01')"))
            connection.execute(text("INSERT INTO lms_lti_platforms (id, name, issuer, client_id, deployment_ids, "
                                    "auth_url, token_url, keyset_url, enabled, trusts_emails, keyset_json, created_at)"
                                    " VALUES (1, 'M', 'https://m', 'c', 'd', 'https://m/a', 'https://m/t', "
                                    "'https://m/k', 1, 0, '', '2026-12-01')"))
            connection.execute(text("INSERT INTO lms_lti_contexts (id, platform_id, context_id, title, "
                                    "memberships_url, lineitems_url, ags_scopes, created_at) VALUES "
                                    "(1, 1, 'course', '', '', 'https://m/l', '', '2026-12-01')"))
            for post_id, item, score in ((1, "readings", 1), (2, "readings", 2), (3, "certificate", 1)):
                connection.execute(text(
                    "INSERT INTO lms_lti_score_posts (id, context_id, user_id, line_item, score, maximum, status, "
                    "attempts, next_attempt_at, created_at) VALUES (:id, 1, 1, :item, :score, 3, 'posted', 1, "
                    "'2026-12-01', '2026-12-01')"), {"id": post_id, "item": item, "score": score})
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT line_item, score FROM lms_lti_score_posts ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [("readings", 2.0), ("certificate", 1.0)]
        downgrade(revision="0012_privacy")
        upgrade()
        db.engine.dispose()
