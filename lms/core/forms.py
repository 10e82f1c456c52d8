"""Form pieces shared by the blueprints."""
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice

from lms.core.timezones import all_zone_names

# How a datetime-local field sends its value.
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class CreateForm(FlaskForm):
    # A one-time key: the same form sent twice creates one thing, not two.
    form_key = HiddenField()


class EmptyForm(FlaskForm):
    """A button-only form: it carries the CSRF token and nothing else."""


def zone_choices() -> list[SelectChoice]:
    """Every time zone as a choice, labelled with spaces instead of underscores."""
    return [SelectChoice(name, name.replace("_", " ")) for name in all_zone_names()]
