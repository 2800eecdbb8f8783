from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField, \
    SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..i18n import lazy_gettext as _l
from ..widgets import DateInput
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput

from .models import CYCLE_STATES, PHASES, PREFERENCES


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

    def phase_fields(self):
        """(key, label, start field, due field) per phase, in order."""
        return [(key, label, self[f"{key}_starts_on"], self[f"{key}_due_on"]) for key, label in PHASES]

    def phase_data(self) -> dict:
        return {key: {"starts_on": start.data, "due_on": due.data} for key, _label, start, due in self.phase_fields()}


for _key, _label in PHASES:  # a start and a due date per phase, each optional
    setattr(CycleForm, f"{_key}_starts_on", DateField(
        _l("Starts"), widget=DateInput(), format="%d %m %Y", validators=[Optional()]))
    setattr(CycleForm, f"{_key}_due_on", DateField(
        _l("Due"), widget=DateInput(), format="%d %m %Y", validators=[Optional()]))


class EditCycleForm(CycleForm):
    """Once created, a cycle's state moves only through "Move to the next phase"."""
    state = None


class AssignmentSettingsForm(FlaskForm):
    reviewers_per_city = IntegerField(
        _l("Reviewer cities per city"), widget=GovTextInput(),
        validators=[DataRequired(_l("Enter how many reviewer cities each city gets")),
                    NumberRange(min=1, max=10, message=_l("Enter a number from 1 to 10"))])
    even_load = BooleanField(_l("Spread the reviewing load as evenly as possible"), widget=GovCheckboxInput())
    no_swaps = BooleanField(_l("Avoid direct swaps (A reviews B and B reviews A)"), widget=GovCheckboxInput())
    avoid_repeats = BooleanField(_l("Avoid repeating last cycle's pairs"), widget=GovCheckboxInput())
    preference = RadioField(_l("Preference"), choices=PREFERENCES, widget=GovRadioInput())
    assignment_seed = IntegerField(
        _l("Seed"), widget=GovTextInput(), default=0,
        description=_l("The same seed gives the same proposal; another seed may choose differently among equally "
                       "good pairs."),
        validators=[Optional(), NumberRange(min=0, max=2 ** 31 - 1, message=_l("Enter a whole number"))])
    submit = SubmitField(_l("Save settings"), widget=GovSubmitInput())
