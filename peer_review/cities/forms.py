import zoneinfo

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from ..i18n import lazy_gettext as _l
from .models import POPULATION_BANDS, REGIONS
from .vocab import CITY_LANGUAGES

SLUG_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def valid_timezone(form, field):
    if field.data not in zoneinfo.available_timezones():
        raise ValidationError(_l("Enter a time zone from the IANA list, like Africa/Nairobi or America/Bogota"))


class CityForm(FlaskForm):
    name = StringField(_l("City name"), widget=GovTextInput(),
                       validators=[DataRequired(_l("Enter the city's name")),
                                   Length(max=120, message=_l("The name must be 120 characters or fewer"))])
    slug = StringField(_l("Short name for addresses (optional)"), widget=GovTextInput(),
                       description=_l("Lower-case letters, numbers and hyphens, like san-aurelio. "
                                      "Left empty, it is made from the name."),
                       validators=[Optional(), Length(max=80),
                                   Regexp(SLUG_RE, message=_l("Use only lower-case letters, numbers and hyphens"))])
    country = StringField(_l("Country"), widget=GovTextInput(),
                          validators=[DataRequired(_l("Enter the country")), Length(max=80)])
    region = SelectField(_l("Region"), choices=REGIONS, widget=GovSelect(),
                         validators=[DataRequired(_l("Choose a region"))])
    population_band = SelectField(_l("Population"), choices=POPULATION_BANDS, widget=GovSelect(),
                                  validators=[DataRequired(_l("Choose a population band"))])
    languages = SelectMultipleField(_l("Languages of the city's evidence"), choices=CITY_LANGUAGES,
                                    widget=GovCheckboxesInput(),
                                    validators=[DataRequired(_l("Choose at least one language"))])
    timezone = StringField(_l("Time zone"), widget=GovTextInput(), default="UTC",
                           description=_l("For example Africa/Nairobi, America/Bogota or Europe/Paris"),
                           validators=[DataRequired(_l("Enter the time zone")), valid_timezone])
    submit = SubmitField(_l("Save city"), widget=GovSubmitInput())

    def data_for_operations(self) -> dict:
        return {k: getattr(self, k).data for k in
                ("name", "slug", "country", "region", "population_band", "languages", "timezone")}
