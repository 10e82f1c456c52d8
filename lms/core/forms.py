"""Form pieces shared by the blueprints."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from lms.core.exceptions import DomainError
from lms.core.timezones import all_zone_names, find_zone, zone_info, zone_label

# How a datetime-local field sends its value.
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class CreateForm(FlaskForm):
    # A one-time key: the same form sent twice creates one thing, not two.
    form_key = HiddenField()


class EmptyForm(FlaskForm):
    """A button-only form: it carries the CSRF token and nothing else."""


def zone_choices() -> list[SelectChoice]:
    """Every time zone as a choice, labelled with its city and country: 'Oslo, Norway (Europe/Oslo)'."""
    def label(name: str) -> str:
        found = zone_info(name)
        return f"{found.label} ({name})" if found is not None and found.name == name else name.replace("_", " ")

    return [SelectChoice(name, label(name)) for name in all_zone_names()]


class ZoneField(StringField):
    """A time zone typed as a city or a country (the page suggests zones as one types: the zone_field macro);
    `data` is the IANA name once validated, and the box shows it as 'Oslo, Norway'. A form sent without the
    box at all (not from the page: a script, an older page) leaves `data` None: nothing was said about the zone."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return zone_label(self.data) if self.data else ""

    def pre_validate(self, form):
        if not self.raw_data:
            self.data = None
            return
        try:
            self.data = find_zone(self.data or "")
        except DomainError as error:
            raise ValidationError(error.message) from None


class ClockField(RadioField):
    """12- or 24-hour clock. Beside it the form carries `clock_shown`: the choice the page showed because it
    is the habit of the person's zone, so that an untouched choice keeps following the zone (see
    chosen_clock)."""

    def __init__(self, label="How do you read the time?", **kwargs):
        # Any other value (or none) is not refused: it leaves the clock as it was (see chosen_clock).
        choices = [SelectChoice("24", "16:30 (24-hour clock)"), SelectChoice("12", "4:30 PM (12-hour clock)")]
        super().__init__(label, choices=choices, validate_choice=False, **kwargs)


def chosen_clock(clock: str | None, shown_as_default: str | None) -> str | None:
    """What to store: "" (follow the zone) when the person left the zone's habit as shown, else "12" or "24";
    None when no choice was sent (keep the clock as it is)."""
    if clock not in ("12", "24"):
        return None
    return "" if shown_as_default and clock == shown_as_default else clock
