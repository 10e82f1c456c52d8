"""The admin's face: academies, their live sessions and readings, people, attendance and certificates."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import attendance_routes, certificate_routes, routes  # noqa: E402,F401
