from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..i18n import lazy_gettext as _l

LANGUAGE_CHOICES = (("en", _l("English")), ("es", _l("Spanish")), ("fr", _l("French")))
VISIBILITY_CHOICES = (("network", _l("The whole network")), ("city", _l("Only our city and the facilitators")))


class PracticeForm(FlaskForm):
    title = StringField(_l("Name of the practice"), widget=GovTextInput(),
                        validators=[DataRequired(_l("Enter the practice's name")),
                                    Length(max=200, message=_l("The name must be 200 characters or fewer"))])
    summary = TextAreaField(_l("What the city does, with whom, and what changed"), widget=GovCharacterCount(),
                            description=_l("Markdown is allowed. Do not name people who gave testimony."),
                            validators=[DataRequired(_l("Describe the practice")),
                                        Length(max=20000, message=_l("The description must be 20,000 characters "
                                                                      "or fewer"))])
    language = RadioField(_l("Language of the description"), choices=LANGUAGE_CHOICES, default="en",
                          widget=GovRadioInput(), validators=[DataRequired(_l("Choose a language"))])
    cycle_id = SelectField(_l("Review cycle"), coerce=str, widget=GovSelect(), validators=[Optional()])
    criterion_ids = SelectMultipleField(_l("Criteria it speaks to (optional)"), widget=GovCheckboxesInput(),
                                        validators=[Optional()])
    evidence_ids = SelectMultipleField(_l("Evidence that shows it (optional)"), coerce=int,
                                       widget=GovCheckboxesInput(), validators=[Optional()],
                                       description=_l("Readers see an item only if they may see it anyway."))
    visibility = RadioField(_l("Who may read it"), choices=VISIBILITY_CHOICES, default="network",
                            widget=GovRadioInput(), validators=[DataRequired(_l("Choose who may read it"))])
    contact = StringField(_l("Contact for other cities (optional)"), widget=GovTextInput(),
                          validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Save the practice"), widget=GovSubmitInput())
