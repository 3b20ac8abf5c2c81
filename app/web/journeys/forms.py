"""The form that records one step of a journey."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.journeys.steps import EMPLOYER_MAX, NOTE_MAX
from app.web.forms import Form


class StepForm(Form):
    stage = SelectField(_l("Step"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    site = SelectField(_l("Employer site"), coerce=int, validators=[DataRequired()])
    employer = StringField(_l("Employer (not a Saathi site)"), validators=[Optional(), Length(max=EMPLOYER_MAX)])
    starts_on = DateField(_l("From"), validators=[DataRequired()])
    ends_on = DateField(_l("Until"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Save step"))
