from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import DateField, RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from ..i18n import lazy_gettext as _l
from ..widgets import DateInput
from .models import CYCLE_STATES


class RubricVersionField(SelectField):
    """The select's value is "core@1.0"; built from a cycle, it shows the cycle's version ("" for none yet), and
    a post without the field keeps it."""

    def process_data(self, value):
        if value is None or isinstance(value, str):
            self.data = value or ""
        else:
            self.data = f"{value.rubric_id}@{value.version}"


class CycleForm(FlaskForm):
    name = StringField(_l("Name"), widget=GovTextInput(), description=_l("For example \"2027 round\""),
                       validators=[DataRequired(_l("Enter a name for the cycle")),
                                   Length(max=120, message=_l("The name must be 120 characters or fewer"))])
    starts_on = DateField(_l("Start date"), widget=DateInput(), format="%d %m %Y",
                          description=_l("For example, 27 3 2027"),
                          validators=[DataRequired(_l("Enter a real start date"))])
    ends_on = DateField(_l("End date"), widget=DateInput(), format="%d %m %Y",
                        validators=[DataRequired(_l("Enter a real end date"))])
    state = RadioField(_l("State"), choices=CYCLE_STATES, default="draft", widget=GovRadioInput())
    cities = SelectMultipleField(_l("Participating cities"), widget=GovCheckboxesInput())
    rubric_version = RubricVersionField(
        _l("Rubric version"), widget=GovSelect(), default="",
        description=_l("The cycle's self-assessments and reviews use this version. It cannot change once a city "
                       "has started its self-assessment."))
    submit = SubmitField(_l("Save cycle"), widget=GovSubmitInput())

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date must be on or after the start date"))
