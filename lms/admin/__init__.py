"""The admin's face: academies, their live sessions and readings, and enrolling people."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import routes  # noqa: E402,F401
