"""Forms for learners on paper: printing a reading pack, and typing in a reflection written on paper."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from lms.core.forms import CreateForm

PAPER_CHOICES = [SelectChoice("a4", "A4"), SelectChoice("letter", "US Letter")]


class PackForm(FlaskForm):
    group = SelectField("Whose packs", description="Each learner on paper gets their own copy, with their name "
                        "and codes. With nobody on paper, one copy with a space for a name is printed.",
                        validate_choice=False)
    learner = SelectField("Or one learner", validate_choice=False)
    paper = RadioField("Paper", choices=PAPER_CHOICES, default="a4", validate_choice=False)


class TranscriptionForm(CreateForm):
    code = StringField("Code at the top of the page", description="For example K7QX-M3PA. Or leave it empty and "
                       "choose the learner and the reading below.", validators=[Length(max=40)])
    learner = SelectField("Learner", validate_choice=False)
    reading = SelectField("Reading", validate_choice=False)
    body = TextAreaField("What they wrote", description="Type it as written, without correcting it.")
    scan = FileField("Scan of the page (optional)", description="A PDF, PNG or JPEG file. Only the facilitators "
                     "and administrators of this academy can see it.")
