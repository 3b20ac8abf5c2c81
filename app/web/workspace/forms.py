"""Forms of the workspace (Flask-WTF: CSRF token and validation in one place)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Optional

try:  # WTForms 3.3 wants SelectChoice objects; older versions take (value, label) pairs
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover
    SelectChoice = None


def choices(pairs) -> list:
    """``[(value, label), ...]`` in the form this WTForms version expects."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class SessionForm(FlaskForm):
    cohort = SelectField(_l("Cohort"), coerce=int, validators=[DataRequired()])
    module = SelectField(_l("Module"), coerce=int, validators=[DataRequired()])
    held_at = DateTimeLocalField(_l("Held at (the site's local time)"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired()])
    submit = SubmitField(_l("Mark as held"))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"))
    text = TextAreaField(_l("…or paste the rows"), validators=[Optional()])
    submit = SubmitField(_l("Import learners"))


class UploadForm(FlaskForm):
    file = FileField(_l("A module file (.yaml) or a whole pack (.zip)"))
    pack = SelectField(_l("Pack of the module file"), validators=[Optional()])
    submit = SubmitField(_l("Check"))


class EditForm(FlaskForm):
    pack = SelectField(_l("Pack"), validators=[DataRequired()])
    filename = SelectField(_l("File"), validators=[DataRequired()], validate_choice=False)
    text = TextAreaField(_l("YAML"), validators=[DataRequired()])
    submit = SubmitField(_l("Check"))
