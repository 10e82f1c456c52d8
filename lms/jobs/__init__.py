"""The task queue (Huey): its set-up, the worker command and the list of periodic tasks; each task lives in its domain's tasks.py."""
