"""Forms for setting up academies and live sessions, and enrolling people."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.academies.models import ROLES
from lms.core.forms import LOCAL_FORMAT, CreateForm, zone_choices


class AcademyForm(CreateForm):
    title = StringField("Title", validators=[DataRequired("Give the academy a title."), Length(max=200)])
    description = TextAreaField("Description")
    organiser = StringField("Organiser", validators=[Length(max=200)])
    contact_email = EmailField(
        "Contact address for learners (optional)",
        description="Learners see it where they check their attendance and certificate, as who to write to "
        "when something looks wrong.",
        validators=[Length(max=254)],
    )
    home_timezone = SelectField(
        "Home time zone",
        description="Session times are entered in this zone.",
        validators=[DataRequired()],
    )
    reference_timezones = StringField(
        "Reference time zones",
        description="Shown beside every session time: cities or countries, separated by commas, for example "
        "New York, London, Paris, Singapore, Oslo",
        validators=[Length(max=500)],
    )
    reminder_days = IntegerField(
        "Reminder, days before the second session",
        default=2,
        description="Learners with unfinished readings or reflections get one reminder by email. "
        "0 sends none; empty means 2.",
        validators=[Optional(), NumberRange(0, 30)],
    )

    attendance_share = IntegerField(
        "Share of a session that counts as present (%)",
        default=75,
        description="Used when attendance is imported from Zoom or Teams. Empty means 75.",
        validators=[Optional(), NumberRange(1, 100)],
    )
    retention_months = IntegerField(
        "Keep reflections and reading progress for (months after the last session)",
        default=12,
        description="Then reflections, feedback, reading progress and uploaded reports are deleted; attendance, "
        "certificates and the counts stay. Learners see the date. 1 to 120; empty means 12.",
        validators=[Optional(), NumberRange(1, 120)],
    )
    require_readings = BooleanField("For a certificate, also require every reading finished")
    require_reflections = BooleanField("For a certificate, also require every reflection submitted")
    signatories = TextAreaField(
        "Certificate signatories",
        description="One a line: name, then a comma, then their role. For example: Jane Doe, Executive Director",
        validators=[Length(max=1000)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.home_timezone.choices = zone_choices()


class LiveSessionForm(CreateForm):
    title = StringField("Title", validators=[DataRequired("Give the session a title."), Length(max=200)])
    starts_local = DateTimeLocalField(
        "Starts at",
        format=LOCAL_FORMAT,
        validators=[InputRequired("Enter the date and time the session starts.")],
    )
    duration_minutes = IntegerField(
        "Length in minutes",
        default=90,
        validators=[InputRequired("Enter the length in minutes."), NumberRange(5, 24 * 60)],
    )
    join_url = URLField("Joining link", validators=[Optional(), Length(max=500)])


class PersonForm(FlaskForm):
    full_name = StringField("Full name", validators=[DataRequired("Enter the person's full name."), Length(max=200)])
    # Checked in accounts.check_person: empty is allowed for a learner on paper.
    email = EmailField("Email address", description="Leave it empty for a learner who takes part on paper.",
                       validators=[Length(max=254)])
    takes_part_through = StringField(
        "Takes part on paper through (only for a learner without email)",
        description="The organisation or unit they take part through, for example: Oslo prison — unit B. "
        "They get no invitation and no mail; their readings are printed for them.",
        validators=[Length(max=200)],
    )
    role = SelectField("Role", choices=[SelectChoice(role, role.capitalize()) for role in ROLES])
    timezone = SelectField("Time zone", validators=[DataRequired()])
    group = StringField("Group (optional)", validators=[Length(max=100)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = zone_choices()


class RosterForm(FlaskForm):
    roster = FileField(
        "Roster file (CSV)",
        validators=[FileRequired("Choose a CSV file to import.")],
        description="A spreadsheet saved as CSV (in Excel: “CSV UTF-8”).",
    )
