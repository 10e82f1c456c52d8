"""Forms on the learner's pages."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField


class EmptyForm(FlaskForm):
    """A button-only form: it carries the CSRF token and nothing else."""


class FinishedForm(FlaskForm):
    finished = HiddenField()


class ReflectionForm(FlaskForm):
    body = TextAreaField("Your reflection")
    # The name of the two buttons: "draft" or "submit".
    action = HiddenField()
