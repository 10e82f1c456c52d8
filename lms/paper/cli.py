"""The reading-pack command: `flask lms reading-pack`."""
import click
from flask.cli import with_appcontext


@click.command("reading-pack")
@click.option("--academy", "academy_id", type=int, required=True, help="The academy's id (in its admin address).")
@click.option("--group", default="", help="Only this group, or the learners on paper of this organisation or unit.")
@click.option("--learner", default="", help="Only this learner: their email, or their id (for a learner on paper).")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True, help="The PDF file to write.")
@with_appcontext
def reading_pack(academy_id, group, learner, paper, out):
    """Print the reading pack: a cover, the readings, and a page with a code for each reflection."""
    from lms.academies.models import Academy
    from lms.core.exceptions import DomainError
    from lms.core.extensions import db
    from lms.paper import packs

    academy = db.session.get(Academy, academy_id)
    if academy is None:
        raise click.ClickException(f"No academy has the id {academy_id}.")
    try:
        person = packs.find_learner(academy, learner) if learner else None
        people = packs.learners_in(academy, group, person)
        document = packs.reading_pack(academy, group, person, paper)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    with open(out, "wb") as file:
        file.write(document)
    db.session.commit()  # the codes printed, once the file is written
    who = ", ".join(user.full_name for user in people) or "nobody on paper: one copy with a space for the name"
    click.echo(f"Wrote {out}: {academy.title}, for {who}.")
