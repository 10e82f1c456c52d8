"""Forms for readings: marking one finished, writing a reflection, and setting one up (admins)."""
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, IntegerField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.core.forms import LOCAL_FORMAT, CreateForm


class FinishedForm(FlaskForm):
    finished = HiddenField()


class ReflectionForm(FlaskForm):
    body = TextAreaField("Your reflection")
    # The name of the two buttons: "draft" or "submit".
    action = HiddenField()


class ReadingForm(CreateForm):
    title = StringField("Title", validators=[DataRequired("Give the reading a title."), Length(max=200)])
    body_markdown = TextAreaField(
        "Text", description="Markdown: blank lines between paragraphs, ## for a heading, *emphasis*."
    )
    external_url = URLField("Link to the full material (optional)", validators=[Optional(), Length(max=500)])
    estimated_minutes = IntegerField(
        "Estimated reading time in minutes", validators=[Optional(), NumberRange(1, 600)]
    )
    reflection_prompt = TextAreaField(
        "Reflection prompt", description="Leave empty if this reading asks for no reflection."
    )
    min_words = IntegerField("Least words in a reflection", validators=[Optional(), NumberRange(1, 10000)])
    max_words = IntegerField("Most words in a reflection", validators=[Optional(), NumberRange(1, 10000)])
    opens_local = DateTimeLocalField(
        "Opens at", format=LOCAL_FORMAT, validators=[Optional()],
        description="Leave empty to open it when the first live session ends.",
    )
    closes_local = DateTimeLocalField(
        "Closes at", format=LOCAL_FORMAT, validators=[Optional()],
        description="Leave empty to close it when the second live session begins.",
    )
