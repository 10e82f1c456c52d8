"""Forms for signing in, setting passwords and the account page."""
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from lms.core.forms import zone_choices


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    next = HiddenField()
    # A reflection typed before the login expired, carried through the sign-in page.
    carry_reading = HiddenField()
    carry_body = HiddenField()


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a password.")],
        description="At least 8 characters. A few words strung together make a good password.",
    )
    confirm = PasswordField(
        "Type it again",
        validators=[DataRequired("Type the password again."), EqualTo("password", "The two passwords differ.")],
    )


class ResetRequestForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address.")])


class AccountForm(FlaskForm):
    full_name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=200)])
    timezone = SelectField(
        "Your time zone",
        description="Session times are shown in this zone.",
        validators=[DataRequired()],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices()
        # A zone stored before the list was narrowed (e.g. "US/Eastern") stays selectable, not silently lost.
        current = kwargs.get("obj").timezone if kwargs.get("obj") is not None else None
        if current and current not in {choice.value for choice in self.timezone.choices}:
            self.timezone.choices.insert(0, SelectChoice(current, current))


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
