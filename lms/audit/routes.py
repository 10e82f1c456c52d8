"""The admin's audit log: who did what, newest first."""
from flask import Blueprint, render_template, request

from lms.accounts.identity import admin_required
from lms.audit import services as audit
from lms.audit import wording

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.route("/admin/audit")
@admin_required
def log():
    page = request.args.get("page", 1, type=int)
    shown = audit.recent(page)
    return render_template("lms/audit/log.html", events=wording.shown(shown.items), page=shown.page, pages=shown.pages)
