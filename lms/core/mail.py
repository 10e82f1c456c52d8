"""Mail transport: sending messages (SMTP when MAIL_SERVER is set, many per connection; otherwise to the log), and mailed links.

Everything goes through the outbox (notifications/outbox.py), which calls send() and retries failures.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from flask import current_app, url_for

log = logging.getLogger(__name__)


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


def mail_is_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def may_log_messages() -> bool:
    """Whether a message that cannot be sent may be written to the log, one-time links and all.

    Only while developing (the development or testing profile, or an app in debug or testing mode): in
    production, a link read from the log is a way into someone's account.
    """
    return current_app.config.get("ENV_NAME") in ("development", "testing") or current_app.debug or current_app.testing


def absolute_url(endpoint: str, **values) -> str:
    """A link for an email: LMS_BASE_URL; only outside production, the address the request came to.

    Never the request's Host header in production: anyone can send any Host, and a reset link
    pointing at their site would hand them the token.
    """
    base = current_app.config.get("LMS_BASE_URL", "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    if current_app.config.get("ENV_NAME") == "production":
        raise RuntimeError("LMS_BASE_URL must be set in production: mailed links are built from it.")
    return url_for(endpoint, _external=True, **values)


def _message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def _log_instead(to: str, subject: str, body: str) -> bool:
    if may_log_messages():
        log.info("Mail is not configured; this message was not sent.\nTo: %s\nSubject: %s\n\n%s", to, subject, body)
    else:
        log.warning("Mail is not configured; the message %r to %s was not sent (its text is not logged)", subject, to)
    return False


class Connection:
    """One SMTP connection for many messages (opened at the first send, reopened once when the server drops it).

    Opening a connection (and TLS, and logging in) costs far more than a message, so a batch shares one.
    Use as a context manager: `with mail.Connection() as connection: connection.send(...)`.
    """

    def __init__(self):
        self.client = None
        self.opened = 0  # how many connections this batch needed

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def _open(self):
        config = current_app.config
        if config["MAIL_USE_SSL"]:
            client = smtplib.SMTP_SSL(
                config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15, context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15)
        try:
            if config["MAIL_USE_TLS"]:
                client.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            client.close()
            raise
        self.client = client
        self.opened += 1

    def close(self):
        if self.client is None:
            return
        try:
            self.client.quit()
        except (OSError, smtplib.SMTPException):
            self.client.close()  # the server went away first: nothing more to say to it
        self.client = None

    def _hand_over(self, message: EmailMessage) -> None:
        if self.client is None:
            self._open()
        self.client.send_message(message)

    def send(self, to: str, subject: str, body: str) -> bool:
        """Send one plain-text message. True when it went out over SMTP; False when only logged.

        Raises MailError when SMTP is configured but the message could not be handed over.
        """
        if not mail_is_configured():
            return _log_instead(to, subject, body)
        message = _message(to, subject, body)
        try:
            try:
                self._hand_over(message)
            except OSError as error:  # smtplib's own errors are OSErrors too
                dropped = isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(error, smtplib.SMTPException)
                if not dropped or self.client is None:
                    raise  # a refusal, or a server that could not even be reached: no point trying again at once
                # The server dropped a connection that had worked (idle timeout, restart, a limit of
                # messages per connection): the message was not accepted, so it is tried once on a new one.
                self.client.close()
                self.client = None
                self._hand_over(message)
        except (OSError, smtplib.SMTPException) as error:
            if self.client is not None and self.client.sock is None:
                self.client = None  # smtplib closed it (a 421 reply): the next message opens a new one
            raise MailError(f"{type(error).__name__}: {error}") from error
        log.info("mail %r sent to %s", subject, to)
        return True


def send(to: str, subject: str, body: str) -> bool:
    """Send one message on a connection of its own (see Connection.send)."""
    with Connection() as connection:
        return connection.send(to, subject, body)
