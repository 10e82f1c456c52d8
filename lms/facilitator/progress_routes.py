"""Routes for watching who keeps up: the progress table and its CSV downloads."""
from flask import Response, abort, render_template, request, stream_with_context
from flask_login import current_user, login_required

from ..services import exports
from ..services import progress as progress_service
from ..services.access import facilitated_academy, own_group
from ..web import now
from . import bp


def _load_academy(academy_id: int):
    academy = facilitated_academy(current_user, academy_id)
    if academy is None:
        abort(404)
    return academy


def _chosen_group(academy) -> str:
    return progress_service.choose_group(
        request.args.get("group"),
        own_group(current_user, academy.id),
        progress_service.academy_groups(academy.id),
    )


def _csv_response(chunks, name: str) -> Response:
    # stream_with_context keeps the request (and its database session) alive while the rows are sent.
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/academies/<int:academy_id>/progress")
@login_required
def progress(academy_id):
    academy = _load_academy(academy_id)
    view = progress_service.progress_view(
        academy,
        now(),
        group=request.args.get("group"),
        own_group=own_group(current_user, academy.id),
        sort=request.args.get("sort", "name"),
        page=request.args.get("page", 1, type=int),
    )
    return render_template("lms/facilitator/progress.html", academy=academy, view=view)


@bp.route("/academies/<int:academy_id>/progress.csv")
@login_required
def progress_csv(academy_id):
    academy = _load_academy(academy_id)
    group = _chosen_group(academy)
    columns = progress_service.reading_columns(academy, now())
    rows = exports.progress_rows(academy.id, group, columns)
    name = exports.filename(academy.title, "progress", group, now().date())
    return _csv_response(exports.csv_chunks(rows), name)


@bp.route("/academies/<int:academy_id>/reflections.csv")
@login_required
def reflections_csv(academy_id):
    academy = _load_academy(academy_id)
    group = _chosen_group(academy)
    rows = exports.reflection_rows(academy.id, group)
    name = exports.filename(academy.title, "reflections", group, now().date())
    return _csv_response(exports.csv_chunks(rows), name)
