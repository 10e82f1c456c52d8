"""The privacy notice: what is kept about people, why, for how long and who sees it, made from the registry."""
from flask import Blueprint, current_app, render_template

from lms.privacy.registry import declarations
from lms.reflections.privacy import WHO_SEES as WHO_SEES_REFLECTIONS

bp = Blueprint("privacy", __name__, template_folder="templates")


@bp.route("/privacy")
def notice():
    kept = [table for table in declarations() if table.personal]
    return render_template("lms/privacy/notice.html", tables=kept, who_sees_reflections=WHO_SEES_REFLECTIONS,
                           contact=current_app.config["LMS_PRIVACY_CONTACT"])
