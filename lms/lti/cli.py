"""`flask lms lti ...`: register a platform, print what to paste into one, rotate the tool's key."""
import json

import click
from flask.cli import AppGroup

from lms.core.exceptions import DomainError
from lms.core.extensions import db
from lms.lti import keys, services

lti_cli = AppGroup("lti", help="The LTI 1.3 tool (Moodle, Canvas, ...).")


@lti_cli.command("register-platform")
@click.option("--issuer", required=True)
@click.option("--client-id", required=True)
@click.option("--deployment-id", "deployment_ids", required=True, multiple=True, help="Repeat for several.")
@click.option("--auth-url", required=True, help="The platform's OIDC authorisation address.")
@click.option("--token-url", required=True)
@click.option("--keyset-url", required=True, help="The platform's public key set (JWKS) address.")
@click.option("--name", default="")
@click.option("--trust-emails", is_flag=True, help="Link launches to accounts already here by email.")
def register_platform(issuer, client_id, deployment_ids, auth_url, token_url, keyset_url, name, trust_emails):
    """Register a learning platform that may launch the LMS."""
    details = services.PlatformDetails(
        issuer=issuer, client_id=client_id, deployment_ids="\n".join(deployment_ids), auth_url=auth_url,
        token_url=token_url, keyset_url=keyset_url, name=name, trusts_emails=trust_emails,
    )
    try:
        platform = services.register_platform(details, by=None)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.field}: {error.message}" if error.field else error.message) from None
    db.session.commit()
    click.echo(f"Registered platform {platform.id}: {platform.issuer} (client {platform.client_id})")


@lti_cli.command("tool-config")
def tool_config():
    """Print the tool's addresses and public key set, to paste into a platform (needs LMS_BASE_URL)."""
    from flask import current_app

    from lms.lti.routes import tool_urls

    base = current_app.config.get("LMS_BASE_URL") or "http://localhost"
    with current_app.test_request_context(base_url=base):
        urls = tool_urls()
    key_set = keys.public_jwks()
    db.session.commit()
    click.echo(f"Login (OIDC initiation) URL: {urls['login']}")
    click.echo(f"Redirect (launch) URL:       {urls['launch']}")
    click.echo(f"Public key set (JWKS) URL:   {urls['jwks']}")
    click.echo("Public key set:")
    click.echo(json.dumps(key_set, indent=2))


@lti_cli.command("rotate-key")
def rotate_key():
    """Make a new signing key; the old one stays published for a week."""
    key = keys.rotate_key()
    db.session.commit()
    click.echo(f"The tool now signs with key {key.kid}.")


@lti_cli.command("sync-rosters")
@click.option("--as", "admin_email", required=True, help="The admin the audit log names for the changes.")
def sync_rosters(admin_email):
    """Enrol every linked course's members from its platform (all or nothing per course)."""
    from sqlalchemy import select

    from lms.accounts.models import User
    from lms.lti.roster import sync_all_rosters

    admin = db.session.scalar(select(User).where(User.email == admin_email.strip().lower(), User.is_admin))
    if admin is None:
        raise click.ClickException(f"No admin with the address {admin_email}.")
    outcomes = sync_all_rosters(admin)
    db.session.commit()
    for context_id, outcome in outcomes.items():
        click.echo(f"course {context_id}: {outcome}")
    click.echo(f"{sum(o == 'ok' for o in outcomes.values())} of {len(outcomes)} courses synced.")


@lti_cli.command("post-scores")
def post_scores():
    """Record changed results of linked academies and send them to course gradebooks (with retries)."""
    from lms.lti.tasks import post_scores as record_and_post

    counts = record_and_post.run_here()
    click.echo(f"{counts['posted']} sent, {counts['retry']} to try again later, {counts['failed']} given up.")
