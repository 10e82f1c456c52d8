"""The `flask lms ...` commands; they call the same services as the web pages."""
import click
from flask.cli import AppGroup

from .services import accounts, demo, outbox
from .services.errors import DomainError

lms_cli = AppGroup("lms", help="Learning Academy commands.")


@lms_cli.command("create-admin")
@click.option("--email", prompt=True, help="The admin's email address.")
@click.option("--name", "full_name", prompt="Full name", help="The admin's full name.")
@click.option("--timezone", default="UTC", show_default=True, help="The admin's time zone.")
@click.password_option(help="Prompted for (hidden) when not given.")
def create_admin(email, full_name, timezone, password):
    """Make the first admin (or make an existing account an admin)."""
    try:
        user = accounts.create_admin(email, full_name, password, timezone)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{user.email} is an admin.")


@lms_cli.command("demo")
@click.option("--as-published", is_flag=True, help="Keep the published dates (17 April and 2 May 2025).")
def load_demo(as_published):
    """Load the demo programme; running it again changes nothing."""
    if demo.load_demo(as_published=as_published):
        click.echo("The demo academy is loaded.")
    else:
        click.echo("The demo academy is already there; nothing changed.")
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for login in demo.demo_logins():
        click.echo(f"  {login.role:<12} {login.email:<32} {login.name}")


@lms_cli.command("send-due-mail")
def send_due_mail():
    """Queue and send whatever mail is due. Safe to run from cron every few minutes."""
    outcome = outbox.send_due()
    click.echo(
        f"queued {outcome['queued']}, sent {outcome['sent']}, logged {outcome['logged']} (no mail server), "
        f"to retry {outcome['pending']}, failed {outcome['failed']}"
    )
