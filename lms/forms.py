"""Form pieces shared by the blueprints."""
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from .services.timezones import all_zone_names


class EmptyForm(FlaskForm):
    """A button-only form: it carries the CSRF token and nothing else."""


def zone_choices() -> list[SelectChoice]:
    """Every time zone as a choice, labelled with spaces instead of underscores."""
    return [SelectChoice(name, name.replace("_", " ")) for name in all_zone_names()]
