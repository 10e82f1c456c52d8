"""The learner's face: dashboard, reading pages, finishing readings, reflections, calendar files."""
from flask import Blueprint

bp = Blueprint("learner", __name__)

from . import routes  # noqa: E402,F401
