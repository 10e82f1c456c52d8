"""The learner's face: dashboard, reading pages, reflections, calendar files, certificates."""
from flask import Blueprint

bp = Blueprint("learner", __name__)

from . import certificate_routes, routes  # noqa: E402,F401
