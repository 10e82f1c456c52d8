"""The queue behind background work: `@task` for a domain's tasks.py, and the Huey instance each app gets.

A domain declares a task with `@task()` (from this module) in its `tasks.py`; calling the function then
puts it on the queue, and a worker (`flask lms worker`) runs it inside the Flask app, in one transaction:
the task's services flush, and the task is committed when it returns (rolled back when it raises).
`LMS_QUEUE_URL` chooses the storage: empty for a SQLite file in the instance folder (no server needed),
`sqlite:///path` for another file, `redis://host:6379/0` for several machines sharing the work, or
`immediate` to run each task at once in the caller (the test suite's setting).
"""
from __future__ import annotations

import functools
import importlib
import logging
from pathlib import Path

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey

from lms.core.extensions import db

log = logging.getLogger(__name__)

# Every task declared with @task, by name; each app registers them all on its own Huey when it starts.
_TASKS: dict[str, Task] = {}


class Task:
    """A domain's task: calling it queues it on the current app's queue (and returns Huey's result handle)."""

    def __init__(self, function, retries: int, retry_delay: int):
        self.function = function
        self.name = f"{function.__module__}.{function.__qualname__}"
        self.retries = retries
        self.retry_delay = retry_delay
        functools.update_wrapper(self, function)

    def __call__(self, *args, **kwargs):
        return queued_task(self.name)(*args, **kwargs)

    def run_here(self, *args, **kwargs):
        """Run the task's body in the caller's own app context and transaction (for a command line)."""
        return self.function(*args, **kwargs)


def task(retries: int = 0, retry_delay: int = 0):
    """Declare a background task. Tasks must be idempotent: a retried task must not do the thing twice."""

    def declare(function) -> Task:
        declared = Task(function, retries, retry_delay)
        _TASKS[declared.name] = declared
        return declared

    return declare


def queued_task(name: str):
    """The current app's Huey task wrapper for a task declared with @task."""
    return current_app.extensions["lms_queue"].tasks[name]


def current_huey():
    return current_app.extensions["lms_queue"].huey


class AppQueue:
    """One app's Huey instance and its registered tasks (app.extensions['lms_queue'])."""

    def __init__(self, huey, tasks: dict):
        self.huey = huey
        self.tasks = tasks


def make_huey(app: Flask):
    url = app.config.get("LMS_QUEUE_URL") or ""
    name = app.config.get("LMS_QUEUE_NAME") or "lms"
    if url == "immediate":
        # Huey's own immediate mode: each task runs when it is queued, in the caller's thread.
        return SqliteHuey(name, filename=":memory:", immediate=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url)
    if url.startswith("sqlite:///"):
        filename = url.removeprefix("sqlite:///")
    elif not url:
        folder = Path(app.instance_path)
        folder.mkdir(parents=True, exist_ok=True)
        filename = str(folder / "lms-queue.db")
    else:
        raise RuntimeError(
            f"LMS_QUEUE_URL must be empty (a SQLite file in the instance folder), sqlite:///path, redis://… "
            f"or immediate, not {url!r}"
        )
    return SqliteHuey(name, filename=filename)


def _in_app(app: Flask, function):
    """The task's body as the worker runs it: inside the app, one transaction, committed at the end."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        with app.app_context():
            try:
                result = function(*args, **kwargs)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                log.exception("task %s failed", function.__qualname__)
                raise
            return result

    return run


def init_queue(app: Flask) -> None:
    """Build the app's Huey, register every task on it, and the periodic ones with their schedules."""
    from lms.jobs.periodic import PERIODIC, TASK_MODULES

    for module in TASK_MODULES:
        importlib.import_module(module)
    huey = make_huey(app)
    schedules = {declared.name: schedule for schedule, declared in PERIODIC}
    tasks = {}
    for name, declared in _TASKS.items():
        body = _in_app(app, declared.function)
        # Huey names a task after its module and this name, which makes the same name as ours.
        options = {"retries": declared.retries, "retry_delay": declared.retry_delay,
                   "name": declared.function.__qualname__}
        if name in schedules:
            tasks[name] = huey.periodic_task(schedules[name], **options)(body)
        else:
            tasks[name] = huey.task(**options)(body)
    app.extensions["lms_queue"] = AppQueue(huey, tasks)
