"""The accounts commands: `flask lms create-admin`."""
import click
from flask.cli import with_appcontext

from lms.accounts import services as accounts
from lms.core.exceptions import DomainError
from lms.core.extensions import db


@click.command("create-admin")
@click.option("--email", prompt=True, help="The admin's email address.")
@click.option("--name", "full_name", prompt="Full name", help="The admin's full name.")
@click.option("--timezone", default="UTC", show_default=True, help="The admin's time zone.")
@click.password_option(help="Prompted for (hidden) when not given.")
@with_appcontext
def create_admin(email, full_name, timezone, password):
    """Make the first admin (or make an existing account an admin)."""
    try:
        user = accounts.create_admin(email, full_name, password, timezone)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{user.email} is an admin.")
