"""Forms of the workspace (Flask-WTF: CSRF token and validation in one place)."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.people.sites import HHMM
from app.web.forms import Form

try:  # WTForms 3.3 wants SelectChoice objects; older versions take (value, label) pairs
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    SelectChoice = None


def choices(pairs) -> list:
    """``[(value, label), ...]`` in the form this WTForms version expects."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class SessionForm(Form):
    cohort = SelectField(_l("Cohort"), coerce=int, validators=[DataRequired()])
    module = SelectField(_l("Module"), coerce=int, validators=[DataRequired()])
    held_at = DateTimeLocalField(_l("Held at (the site's local time)"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired()])
    submit = SubmitField(_l("Mark as held"))


LATE_JOIN_LABEL = _l("Also send the quiz of sessions already held")


class ImportForm(Form):
    file = FileField(_l("CSV file"))
    text = TextAreaField(_l("…or paste the rows"), validators=[Optional()])
    late_join = BooleanField(LATE_JOIN_LABEL, default=True)
    submit = SubmitField(_l("Import learners"))


def valid_timezone(form, field) -> None:
    if field.data:
        try:
            ZoneInfo(field.data.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(_l("Unknown timezone: use a name such as Asia/Kolkata or Europe/Oslo.")) from None


class LearnerForm(Form):
    """A learner's own details; the cohort and the status have their own forms."""

    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Give the learner's name.")),
                                               Length(max=120, message=_l("At most 120 characters."))])
    language = SelectField(_l("Language"))
    channel = SelectField(_l("Channel"))
    timezone = StringField(_l("Own timezone (empty: the site's)"), validators=[Optional(), valid_timezone])
    submit = SubmitField(_l("Save"))


class MoveForm(Form):
    # Checked by the view against the user's sites (a 404, like any object outside them).
    cohort = SelectField(_l("Cohort"), coerce=int, validate_choice=False)
    late_join = BooleanField(LATE_JOIN_LABEL, default=True)
    submit = SubmitField(_l("Move"))


class StatusForm(Form):
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200, message=_l(
        "At most 200 characters."))])
    late_join = BooleanField(LATE_JOIN_LABEL, default=True)
    submit = SubmitField()


HHMM_MESSAGE = _l("Write the time as HH:MM, for example 09:00.")


class SiteSettingsForm(Form):
    timezone = StringField(_l("Timezone"), validators=[DataRequired(message=_l("Give the site's timezone.")),
                                                       valid_timezone])
    send_start = StringField(_l("Messages from (HH:MM)"), validators=[
        DataRequired(message=HHMM_MESSAGE), Regexp(HHMM, message=HHMM_MESSAGE)])
    send_end = StringField(_l("Messages until (HH:MM)"), validators=[
        DataRequired(message=HHMM_MESSAGE), Regexp(HHMM, message=HHMM_MESSAGE)])
    daily_cap = IntegerField(_l("Most messages per learner per day (empty: the default)"), validators=[
        Optional(), NumberRange(min=1, max=50, message=_l("Between 1 and 50."))])
    submit = SubmitField(_l("Save"))

    def validate_send_end(self, field) -> None:
        if HHMM.match(self.send_start.data or "") and HHMM.match(field.data or "") \
                and self.send_start.data >= field.data:
            raise ValidationError(_l("The window must end after it starts."))


class UploadForm(Form):
    file = FileField(_l("A module file (.yaml) or a whole pack (.zip)"))
    pack = SelectField(_l("Pack of the module file"), validators=[Optional()])
    submit = SubmitField(_l("Check"))


class EditForm(Form):
    pack = SelectField(_l("Pack"), validators=[DataRequired()])
    filename = SelectField(_l("File"), validators=[DataRequired()], validate_choice=False)
    text = TextAreaField(_l("YAML"), validators=[DataRequired()])
    submit = SubmitField(_l("Check"))
