"""The base of every staff form: WTForms' own messages through Saathi's catalogs.

WTForms ships its messages ("This field is required.", "Not a valid choice.") in a few
dozen languages, not in Hindi, Marathi, Tamil, Telugu, Kannada or Bengali; a form error
would come out in English. ``Form`` asks Saathi's catalogs instead, so each message is
translated (and checked complete) with the rest; the ones our forms can raise are marked
below for extraction.
"""
from __future__ import annotations

from flask_babel import gettext, ngettext
from flask_wtf import FlaskForm

from app.i18n import N_

WTFORMS_MESSAGES = (
    N_("This field is required."), N_("Not a valid choice."), N_("Invalid Choice: could not coerce."),
    N_("Not a valid integer value."), N_("Not a valid datetime value."), N_("Not a valid date value."),
    N_("Invalid input."), N_("Number must be between %(min)s and %(max)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Field must be at least %(min)d character long."), N_("Field must be at most %(max)d character long."),
    N_("Field must be at least %(min)d characters long."), N_("Field must be at most %(max)d characters long."),
)


class _Catalog:
    """What WTForms expects of a translations object, answered by Flask-Babel."""

    def gettext(self, string: str) -> str:
        return gettext(string) if string else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return ngettext(singular, plural, n)


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _Catalog()
