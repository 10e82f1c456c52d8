"""Forms for signing in, setting passwords and the account page."""
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from lms.core.forms import ClockField, ZoneField

ZONE_HINT = "Type the city or country you live in, for example Oslo or Norway. Session times are shown in this zone."


class GrantAdminForm(FlaskForm):
    email = EmailField("Their email address", validators=[DataRequired("Enter the person's email address.")],
                       description="They must have an account here already.")


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


class TimeFields:
    """The person's own zone and clock, asked when they accept their invitation and on the account page."""

    timezone = ZoneField("Your time zone", description=ZONE_HINT)
    clock = ClockField()
    clock_shown = HiddenField()  # see core/forms.chosen_clock

    def show_time_of(self, user) -> None:
        """Fill the fields from `user` (a GET): their zone, and their clock or their zone's habit."""
        self.timezone.data = user.timezone
        self.clock.data = user.clock_format
        self.clock_shown.data = "" if user.clock else user.clock_format


class AccountForm(TimeFields, FlaskForm):
    full_name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=200)])


class AcceptInvitationForm(TimeFields, SetPasswordForm):
    """Setting the first password, and saying which zone is really theirs (an admin guessed it)."""


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
