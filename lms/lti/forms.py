"""Forms for registering a platform and for tying a course to an academy."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.core.forms import zone_choices


class PlatformSettingsForm(FlaskForm):
    """What may change once a platform is registered."""
    name = StringField("Name (for you: e.g. “Our Moodle”)", validators=[Length(max=200)])
    deployment_ids = TextAreaField("Deployment ids (one a line)",
                                   validators=[DataRequired("Enter at least one deployment id.")])
    auth_url = StringField("Authorisation (OIDC login) address", validators=[DataRequired(), Length(max=500)])
    token_url = StringField("Token address", validators=[DataRequired(), Length(max=500)])
    keyset_url = StringField("Public key set address", validators=[DataRequired(), Length(max=500)])
    trusts_emails = BooleanField("Trust this platform's email addresses (link people to accounts already here)")


class PlatformForm(PlatformSettingsForm):
    """Registering a platform: its settings, and the issuer and client id that name it."""
    issuer = StringField("Issuer", validators=[DataRequired("Enter the platform's issuer."), Length(max=500)])
    client_id = StringField("Client id", validators=[DataRequired("Enter the client id."), Length(max=255)])


class ContextSetupForm(FlaskForm):
    academy_id = SelectField("Use an academy you facilitate", choices=[], validate_choice=False)
    title = StringField("Or make a new academy called", validators=[Length(max=200)])
    home_timezone = SelectField("Its home time zone", validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.home_timezone.choices = zone_choices()
