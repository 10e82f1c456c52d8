"""The demo command: `flask lms demo`."""
import click
from flask.cli import with_appcontext

from lms.demo import services as demo


@click.command("demo")
@click.option("--as-published", is_flag=True, help="Keep the published dates (17 April and 2 May 2025).")
@with_appcontext
def load_demo(as_published):
    """Load the demo programme; running it again changes nothing."""
    # load_demo() is one transaction and commits (or rolls back) itself.
    if demo.load_demo(as_published=as_published):
        click.echo("The demo academy is loaded.")
    else:
        click.echo("The demo academy is already there; nothing changed.")
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for login in demo.demo_logins():
        click.echo(f"  {login.role:<12} {login.email:<32} {login.name}")
