"""The queue's set-up: where tasks wait (a SQLite file by default, Redis when asked), what runs every minute,
and the worker command."""
from __future__ import annotations

import socket
from datetime import datetime

import pytest
from huey import RedisHuey, SqliteHuey

from lms import create_app
from lms.config import TestingConfig
from lms.core.extensions import db


def app_with(database_uri, tmp_path, **settings):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_uri

    for name, value in settings.items():
        setattr(Config, name, value)
    app = create_app(Config)
    app.instance_path = str(tmp_path / "instance")
    return app


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_by_default_tasks_wait_in_a_sqlite_file_in_the_instance_folder(database_uri, tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path / "instance"))

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_uri
        LMS_QUEUE_URL = ""

    app = create_app(Config)
    huey = app.extensions["lms_queue"].huey
    assert isinstance(huey, SqliteHuey) and not huey.immediate
    assert huey.storage.filename == str(tmp_path / "instance" / "lms-queue.db")
    with app.app_context():
        from lms.notifications.tasks import send_due_mail

        send_due_mail()  # queued, not run: no worker here
        assert huey.pending_count() == 1
        doctor = app.test_cli_runner().invoke(args=["lms", "doctor"])
        assert f"queue: SqliteHuey at {tmp_path / 'instance' / 'lms-queue.db'}, 1 task(s) waiting" in doctor.output
        db.engine.dispose()


def test_a_wrong_queue_address_is_refused_with_what_to_write(database_uri, tmp_path):
    with pytest.raises(RuntimeError, match=r"LMS_QUEUE_URL must be empty .* sqlite:///path, redis://… or immediate"):
        app_with(database_uri, tmp_path, LMS_QUEUE_URL="amqp://localhost")


@pytest.mark.skipif(not redis_answers(), reason="no Redis server on 127.0.0.1:6379")
def test_redis_lets_several_machines_share_the_queue(database_uri, tmp_path):
    name = f"lms-test-{tmp_path.name}"
    one = app_with(database_uri, tmp_path, LMS_QUEUE_URL="redis://127.0.0.1:6379/0", LMS_QUEUE_NAME=name)
    other = app_with(database_uri, tmp_path, LMS_QUEUE_URL="redis://127.0.0.1:6379/0", LMS_QUEUE_NAME=name)
    huey, other_huey = one.extensions["lms_queue"].huey, other.extensions["lms_queue"].huey
    assert isinstance(huey, RedisHuey)
    try:
        with one.app_context():
            from lms.certificates.tasks import issue_batches

            issue_batches(12345)
        # What one app server queued, another machine's worker sees.
        assert other_huey.pending_count() == 1
        task = other_huey.dequeue()
        assert task.name == "issue_batches" and task.args == (12345,)
    finally:
        huey.flush()


def test_what_runs_on_the_schedule(app):
    huey = app.extensions["lms_queue"].huey

    def due(hour, minute):
        return {task.name for task in huey.read_periodic(datetime(2026, 12, 2, hour, minute))}

    every_minute = {"send_due_mail", "resume_issue_jobs"}
    assert due(9, 1) == due(23, 59) == every_minute
    assert due(9, 17) == every_minute | {"forget_old_previews"}  # hourly
    assert due(9, 5) == every_minute | {"post_scores"}  # LTI scores every five minutes
    assert due(9, 23) == every_minute | {"forget_spent_login_values"}  # hourly
    assert due(3, 41) == every_minute | {"sync_rosters", "send_expiry_notices"}  # daily
    assert due(3, 47) == every_minute | {"expire_due_data"}  # daily


def test_the_worker_is_not_needed_when_tasks_run_where_they_are_queued(runner):
    result = runner.invoke(args=["lms", "worker"])

    assert result.exit_code == 1
    assert "LMS_QUEUE_URL is 'immediate': tasks run where they are queued, no worker is needed." in result.output
