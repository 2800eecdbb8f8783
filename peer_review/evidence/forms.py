from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..i18n import lazy_gettext as _l
from ..widgets import DateInput
from . import vocab
from .operations import MAX_TEXT


class EvidenceForm(FlaskForm):
    city = SelectField(_l("City"), widget=GovSelect(), validators=[DataRequired(_l("Choose the city"))])
    cycle = SelectField(_l("Review cycle"), widget=GovSelect(), validators=[DataRequired(_l("Choose the cycle"))])
    type = RadioField(_l("Kind of evidence"), choices=vocab.EVIDENCE_TYPES, widget=GovRadioInput(),
                      validators=[DataRequired(_l("Choose the kind of evidence"))])
    title = StringField(_l("Title"), widget=GovTextInput(),
                        validators=[DataRequired(_l("Enter a title")),
                                    Length(max=200, message=_l("The title must be 200 characters or fewer"))])
    text = TextAreaField(_l("Text"), widget=GovCharacterCount(),
                         description=_l("Markdown is allowed: **bold**, lists, > quotes. Scripts and styles are "
                                        "removed. Leave out names, addresses and phone numbers, or redact them "
                                        "afterwards."),
                         validators=[DataRequired(_l("Enter the text of the evidence")),
                                     Length(max=MAX_TEXT, message=_l("The text is too long"))])
    date = DateField(_l("Date (optional)"), widget=DateInput(), format="%d %m %Y", validators=[Optional()])
    language = SelectField(_l("Language"), choices=vocab.LANGUAGES, widget=GovSelect())
    area = StringField(_l("Neighbourhood or area (optional)"), widget=GovTextInput(),
                       validators=[Optional(), Length(max=120)])
    source = StringField(_l("Source (optional)"), widget=GovTextInput(),
                         description=_l("Who collected it and how, for example \"women's safety walk with 14 "
                                        "residents\""), validators=[Optional(), Length(max=300)])
    gender = SelectField(_l("Whose voices: gender"), choices=vocab.GENDERS, default="unspecified",
                         widget=GovSelect())
    age_group = SelectField(_l("Whose voices: age group"), choices=vocab.AGE_GROUPS, default="unspecified",
                            widget=GovSelect())
    vulnerable_groups = SelectMultipleField(_l("Whose voices: groups (optional)"),
                                            choices=[c for c in vocab.VULNERABLE_GROUPS if c[0] != "none"],
                                            widget=GovCheckboxesInput())
    consent = RadioField(_l("Consent"), choices=vocab.CONSENT, widget=GovRadioInput(),
                         validators=[DataRequired(_l("Say whether consent was obtained"))])
    visibility = RadioField(_l("Who can see it"), choices=vocab.VISIBILITY, default="city",
                            widget=GovRadioInput())
    # The version the form was opened on: saving it after someone else's change (a redaction) is refused.
    version = HiddenField()
    submit = SubmitField(_l("Save evidence"), widget=GovSubmitInput())

    FIELDS = ("city", "cycle", "type", "title", "text", "date", "language", "area", "source", "gender",
              "age_group", "vulnerable_groups", "consent", "visibility")

    def validate_cycle(self, field) -> None:
        """Said with the other field errors, in the same answer, rather than after they are fixed."""
        from ..cities.models import City
        from ..cycles.models import Cycle
        from ..extensions import db
        from ..input_limits import parse_id
        city = db.session.execute(db.select(City).filter_by(slug=self.city.data)).scalar_one_or_none() \
            if self.city.data else None
        cycle_id = parse_id(field.data)
        cycle = db.session.get(Cycle, cycle_id) if cycle_id is not None else None
        if city is not None and cycle is not None and city.id not in cycle.city_ids:
            raise ValidationError(_l("%(city)s does not take part in %(cycle)s", city=city.name, cycle=cycle.name))

    def data_for_operations(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


class AttachmentForm(FlaskForm):
    file = FileField(_l("Attach a file"), widget=GovFileInput(),
                     description=_l("PDF, Word (DOCX), OpenDocument text, plain text or an image; up to 10 MB. "
                                    "The text of PDF and Word files is read so that it can be coded."))
    submit = SubmitField(_l("Upload"), widget=GovSubmitInput())


class ImportForm(FlaskForm):
    file = FileField(_l("Spreadsheet (CSV or XLSX)"), widget=GovFileInput(),
                     description=_l("One item per row with the columns of the export: city, cycle, type, title, "
                                    "text, date, language, area, source, gender, age_group, vulnerable_groups, "
                                    "consent, visibility."))
    submit = SubmitField(_l("Check the file"), widget=GovSubmitInput())
