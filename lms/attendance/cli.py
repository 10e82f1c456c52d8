"""The attendance command: `flask lms import-attendance`, the report import without the web pages.

It never drops a row silently: a row that needs a person's decision is decided with --assign (or
--accept-likely for likely matches, --ignore-undecided to ignore the rest, listed), or the command
asks; with --yes and rows still undecided it refuses, listing them.
"""
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.academies.models import LiveSession
from lms.accounts.models import User
from lms.attendance import importing
from lms.core.exceptions import DomainError
from lms.core.extensions import db

# Exit codes, also in README.md. 1 is Click's for a refusal (the message says why), 2 for a wrong option.
EXIT_UNDECIDED = 3  # rows await a decision and --yes was given
EXIT_BLOCKED = 4  # the file may not be this session's report: --import-anyway

NOTHING_TO_SAVE = "Nothing to save: the attendance in this file is already recorded for this session."


@click.command("import-attendance")
@click.option("--session", "session_id", type=int, required=True, help="The live session's id (see the admin pages).")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), required=True,
              help="A Zoom participants export or a Teams attendance report.")
@click.option("--timezone", "file_timezone", help="The time zone of the file's times [the academy's home zone].")
@click.option("--assign", "assignments", multiple=True, metavar='"ROW=EMAIL"',
              help='Decide a row: "ROW NAME=learner@example.org" (or the learner\'s full name), or "ROW NAME=ignore". '
                   "ROW NAME is the name (or email) the report gives. A shared device or room: "
                   '"ROW NAME=a@example.org, b@example.org" gives each of them its minutes. Repeat for each row.')
@click.option("--accept-likely", is_flag=True, help="Take every likely match by name as it is.")
@click.option("--ignore-undecided", is_flag=True, help="Ignore every row still undecided (they are listed).")
@click.option("--import-anyway", is_flag=True,
              help="Save even when the file may not be this session's report (its title, date or times say so).")
@click.option("--yes", is_flag=True, help="Save without asking; refuses while rows await a decision.")
@click.option("--by", "by_email", help="The admin the changes are recorded for [the first admin].")
@with_appcontext
def import_attendance(session_id, path, file_timezone, assignments, accept_likely, ignore_undecided, import_anyway,
                      yes, by_email):
    """Import attendance for one live session, showing what it would record first.

    Exit codes: 0 saved, nothing to save, or not saved when asked; 1 refused (the message says why);
    2 a wrong option; 3 rows await a decision (with --yes); 4 the file may not be this session's
    report (see --import-anyway).
    """
    live_session = db.session.get(LiveSession, session_id)
    if live_session is None:
        raise click.ClickException(f"There is no live session {session_id}.")
    limit = importing.report_size_limit()
    if Path(path).stat().st_size > limit:  # refused before reading it, as the web refuses the upload
        raise click.ClickException(
            f"This file is {Path(path).stat().st_size / 1024 / 1024:.1f} MB; a report can be at most "
            f"{limit / 1024 / 1024:.1f} MB (MAX_CONTENT_LENGTH, the same limit as the web page's)."
        )
    data = Path(path).read_bytes()
    file_timezone = file_timezone or live_session.academy.home_timezone
    try:
        preview = importing.preview_import(live_session, data, file_timezone)
        decisions = _assigned(preview, assignments)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    _show_preview(live_session, preview, file_timezone, decisions, accept_likely)
    if preview.nothing_to_save:
        click.echo(NOTHING_TO_SAVE)
        return
    if preview.blocks and not import_anyway:
        click.echo(f"Not saved: this file may not be the report of {live_session.title} (see the warnings above). "
                   "If you have checked that it is, run the command again with --import-anyway.", err=True)
        sys.exit(EXIT_BLOCKED)
    undecided = [line for line in preview.to_decide
                 if line.key not in decisions and not (accept_likely and line.kind == "likely")]
    if undecided and not ignore_undecided:
        if yes:
            click.echo(f"Not saved: {_rows(len(undecided))} {'awaits' if len(undecided) == 1 else 'await'} a decision:",
                       err=True)
            _list(undecided, err=True)
            click.echo('Decide each with --assign "ROW NAME=learner@example.org" or --assign "ROW NAME=ignore"'
                       + (", or take likely matches with --accept-likely" if any(line.kind == "likely"
                                                                                 for line in undecided) else "")
                       + "; or ignore them all with --ignore-undecided.", err=True)
            sys.exit(EXIT_UNDECIDED)
        click.echo(f"Not decided, so recorded for no one if you save ({_rows(len(undecided))}):")
        _list(undecided)
        question = "Save this attendance, ignoring them?"
    else:
        question = "Save this attendance?"
    if not yes and not click.confirm(question):
        click.echo("Nothing saved.")
        return
    admin = _recording_admin(by_email)
    try:
        result = importing.apply_import(
            live_session, data, file_timezone, decisions, admin, datetime.now(UTC), Path(path).name,
            import_anyway=import_anyway, accept_likely=accept_likely, ignore_undecided=True,
        )
    except DomainError as error:
        raise click.ClickException(f"Nothing saved: {error.message}") from None
    db.session.commit()
    if result.state == "unchanged":
        click.echo(NOTHING_TO_SAVE)
        return
    click.echo(f"Saved: {result.changed} change(s) recorded in the name of {admin.email}.")
    for name, number in result.shared:
        click.echo(f'  "{name}" was given to {number} learners (a shared device or room): each got its minutes.')
    if result.ignored:
        click.echo(f"Ignored, recorded for no one ({_rows(len(result.ignored))}):")
        _list(result.ignored)


def _rows(number: int) -> str:
    return f"{number} row{'s' if number != 1 else ''}"


def _list(lines, err: bool = False) -> None:
    for line in lines:
        where = f"line{'s' if len(line.lines) > 1 else ''} {', '.join(str(number) for number in line.lines[:5])}"
        if len(line.lines) > 5:
            where += f" and {len(line.lines) - 5} more"
        email = f" <{line.email}>" if line.email else ""
        click.echo(f"  \"{line.display_name}\"{email}, {where}, {line.minutes:.1f} min: {line.why}", err=err)


def _assigned(preview, assignments: tuple[str, ...]) -> dict[str, tuple[int, ...] | None]:
    """The decisions --assign gives: "ROW NAME=email" (or =ignore) for rows a person must decide."""
    decisions = {}
    for assignment in assignments:
        row_name, equals, who = assignment.rpartition("=")
        if not equals or not row_name.strip() or not who.strip():
            raise DomainError(f'--assign "{assignment}": write it as "ROW NAME=learner@example.org" or "ROW NAME=ignore".')
        lines = importing.rows_named(preview, row_name.strip())
        if not lines:
            waiting = ", ".join(f'"{line.display_name}"' for line in preview.to_decide) or "none"
            raise DomainError(f'--assign "{assignment}": no row for you to decide is called "{row_name.strip()}" '
                              f"(rows to decide: {waiting}).")
        try:
            people = None if who.strip().lower() == "ignore" else importing.learners_named(preview, who)
        except DomainError as error:
            raise DomainError(f'--assign "{assignment}": {error.message}') from None
        for line in lines:
            decisions[line.key] = people
    return decisions


def _show_preview(live_session, preview, file_timezone: str, decisions, accept_likely: bool) -> None:
    """Print what the import would record, line by line, with the decisions given."""
    click.echo(f"{preview.platform} report for {live_session.title}, times read as {file_timezone}:")
    for block in preview.blocks:
        click.echo(f"  WARNING: {block.text}")
    for note in preview.notes:
        click.echo(f"  NOTE: {note}")
    learners = {user.id: user for user in preview.learners}
    for line in preview.lines:
        if line.kind == "email":
            who, note = line.person.full_name, ""
        elif line.kind == "facilitator":
            who, note = line.person.full_name, " facilitator, not recorded"
        elif line.key in decisions:
            chosen = decisions[line.key]
            who = ", ".join(learners[person_id].full_name for person_id in chosen) if chosen else "(ignored)"
            note = " as you assigned" + (f" (a shared device: each of the {len(chosen)} gets these minutes)"
                                         if chosen and len(chosen) > 1 else "")
        elif accept_likely and line.kind == "likely":
            who, note = line.person.full_name, " likely, accepted"
        else:
            who = line.person.full_name if line.kind == "likely" else "(no match)"
            note = " likely, needs confirming" if line.kind == "likely" else " needs a decision"
        click.echo(f"  {line.display_name:<32} -> {who:<28} {line.minutes:6.1f} min  {line.outcome}{note}")
    for user in preview.not_in_report:
        click.echo(f"  {'(no row matched)':<32} -> {user.full_name:<28}    0.0 min  absent")


def _recording_admin(by_email: str | None) -> User:
    """The admin named by --by, or the first admin; the changes are recorded in their name."""
    admins = db.select(User).where(User.is_admin.is_(True)).order_by(User.id)
    if by_email:
        admins = admins.where(User.email == by_email.strip().lower())
    admin = db.session.scalar(admins)
    if admin is None:
        raise click.ClickException(
            f"No admin {by_email}." if by_email else "Create an admin first (flask lms create-admin)."
        )
    return admin
