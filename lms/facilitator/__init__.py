"""The facilitator's face: the review queue, giving feedback, and watching who keeps up."""
from flask import Blueprint

bp = Blueprint("facilitator", __name__)

from . import progress_routes, routes  # noqa: E402,F401
