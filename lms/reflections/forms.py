"""Forms on the facilitator's pages."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField


class FeedbackForm(FlaskForm):
    body = TextAreaField("Your feedback")
    # The feedback's edit count when the page was opened ("" when there was none yet).
    seen_edit_count = HiddenField()
    # Which text of the reflection the page showed; feedback answers that text or nothing.
    seen_version = HiddenField()
    # The name of the three buttons: "draft", "reviewed" or "revision_requested".
    action = HiddenField()
