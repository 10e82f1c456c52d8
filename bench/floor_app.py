"""For `make bench`: the LMS app plus two routes that do nothing, to show what any request costs before a
page does its own work (served by its own gunicorn; the measured pages come from wsgi:app itself)."""
import sys
from pathlib import Path

from flask_login import login_required

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wsgi import app  # noqa: E402


def nothing():
    return "ok"


# Anonymous: the app's hooks (CSRF check, rate limiter, security headers). Signed in: also the session
# cookie, the user and enrolments query with its session-version check, and the database session's teardown.
app.add_url_rule("/_bench/anonymous", "bench_anonymous", nothing)
app.add_url_rule("/_bench/signed-in", "bench_signed_in", login_required(nothing))
