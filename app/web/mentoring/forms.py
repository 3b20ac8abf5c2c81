"""The mentoring forms: enrolment (staff and public), and each step of a pair."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.languages import LANGUAGES
from app.web.forms import Form
from app.web.workspace.forms import choices


class PersonForm(Form):
    site = SelectField(_l("Programme"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    profession = StringField(_l("Profession"), validators=[DataRequired(), Length(max=80)])
    sector = StringField(_l("Sector"), validators=[Optional(), Length(max=80)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=80)])
    languages = StringField(_l("Languages spoken (comma separated)"), validators=[Optional(), Length(max=200)])
    language = SelectField(_l("Messages in"), validators=[DataRequired()])
    consent = BooleanField(_l("I agree that the programme stores these details to arrange mentoring."))

    def fill(self, sites, lang: str | None = None) -> PersonForm:
        self.site.choices = choices((s.id, s.name) for s in sites)
        self.language.choices = choices(sorted(LANGUAGES.items()))
        if self.language.data is None and lang in LANGUAGES:
            self.language.data = lang
        return self


class MentorForm(PersonForm):
    employer = StringField(_l("Employer"), validators=[Optional(), Length(max=120)])
    capacity = IntegerField(_l("Mentees at once"), default=1, validators=[InputRequired(), NumberRange(1, 10)])
    submit = SubmitField(_l("Enrol mentor"))


class MenteeForm(PersonForm):
    education = StringField(_l("Education"), validators=[Optional(), Length(max=200)])
    goals = TextAreaField(_l("Goals"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Enrol mentee"))


class LearnerMenteeForm(Form):
    profession = StringField(_l("Profession"), validators=[DataRequired(), Length(max=80)])
    education = StringField(_l("Education"), validators=[Optional(), Length(max=200)])
    sector = StringField(_l("Sector"), validators=[Optional(), Length(max=80)])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=80)])
    languages = StringField(_l("Languages spoken (comma separated)"), validators=[Optional(), Length(max=200)])
    goals = TextAreaField(_l("Goals"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Make mentee"))


class DeclineForm(Form):
    reason = StringField(_l("Why not"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Decline"))


class IntroduceForm(Form):
    introduced_on = DateField(_l("Introduction meeting held on"), validators=[DataRequired()])
    submit = SubmitField(_l("Record introduction"))


class ConfirmForm(Form):
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    months = IntegerField(_l("Months"), default=6, validators=[InputRequired(), NumberRange(1, 24)])
    goals = TextAreaField(_l("Shared goals"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Confirm pair"))


class MeetingForm(Form):
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    discussed = TextAreaField(_l("What was discussed"), validators=[DataRequired(), Length(max=1000)])
    next_step = StringField(_l("Next step"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Log meeting"))


class OutcomeForm(Form):
    job = SelectField(_l("Found work"), choices=choices([("yes", _l("Yes")), ("no", _l("No"))]), validators=[DataRequired()])
    in_field = SelectField(_l("In their own field"), choices=choices([("yes", _l("Yes")), ("no", _l("No"))]),
                           validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record outcome"))


class CloseForm(Form):
    submit = SubmitField(_l("Close pair now"))


class TargetForm(Form):
    pairs_per_year = IntegerField(_l("Pairs a year"), validators=[Optional(), NumberRange(0, 100000)])
    open_enrolment = BooleanField(_l("Public enrolment link open"))
    submit = SubmitField(_l("Save"))
