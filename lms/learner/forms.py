"""Forms on the learner's pages."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField


class FinishedForm(FlaskForm):
    finished = HiddenField()


class ReflectionForm(FlaskForm):
    body = TextAreaField("Your reflection")
    # The name of the two buttons: "draft" or "submit".
    action = HiddenField()
