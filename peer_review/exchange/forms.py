from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
)
from wtforms import RadioField, SelectField, SubmitField
from wtforms.validators import InputRequired

from ..evidence import vocab
from ..i18n import lazy_gettext as _l


class EvidenceUploadForm(FlaskForm):
    file = FileField(_l("Spreadsheet (CSV or XLSX)"), widget=GovFileInput(),
                     description=_l("One item per row, up to 5 MB. The first row names the columns, as in an "
                                    "export: city, cycle, type, title, text, date, language, area, source, "
                                    "gender, age_group, vulnerable_groups, consent, visibility."),
                     validators=[FileRequired(_l("Choose a CSV or XLSX file"))])
    submit = SubmitField(_l("Check the file"), widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Import"), widget=GovSubmitInput())


class CodebookUploadForm(FlaskForm):
    file = FileField(_l("Codebook file"), widget=GovFileInput(),
                     description=_l("A REFI-QDA codebook (.qdc) or project (.qde, .qdpx) as ATLAS.ti, NVivo, "
                                    "MAXQDA, QualCoder or Taguette export it; up to 20 MB."),
                     validators=[FileRequired(_l("Choose a codebook file"))])
    submit = SubmitField(_l("Check the codebook"), widget=GovSubmitInput())


class CodebookConfirmForm(FlaskForm):
    language = RadioField(_l("Language of the names and descriptions in this file"), choices=vocab.LANGUAGES,
                          default="en", widget=GovRadioInput(),
                          description=_l("New codes get their name and description in this language; "
                                         "translations can be added afterwards."))
    submit = SubmitField(_l("Import the codebook"), widget=GovSubmitInput())


class ProjectChoicesForm(FlaskForm):
    """Where a project's sources go and what they are; the view fills the city and cycle choices."""

    cycle = SelectField(_l("Cycle"), widget=GovSelect(), validate_choice=True,
                        validators=[InputRequired(_l("Choose a cycle"))])
    city = SelectField(_l("City"), widget=GovSelect(), validate_choice=True,
                       description=_l("Every source of the project becomes an evidence item of this city."),
                       validators=[InputRequired(_l("Choose a city"))])
    type = SelectField(_l("Kind of evidence"), choices=vocab.EVIDENCE_TYPES, default="narrative", widget=GovSelect())
    language = SelectField(_l("Language of the texts and code names"), choices=vocab.LANGUAGES, default="en",
                           widget=GovSelect())
    consent = SelectField(_l("Consent"), choices=[(v, lbl) for v, lbl in vocab.CONSENT if v != "withdrawn"],
                          default="pending", widget=GovSelect(),
                          description=_l("Qualitative data analysis tools do not record consent: say what applies "
                                         "to these texts."))
    visibility = SelectField(_l("Who may see the items"), choices=vocab.VISIBILITY, default="restricted",
                             widget=GovSelect())


class ProjectUploadForm(ProjectChoicesForm):
    file = FileField(_l("Project file"), widget=GovFileInput(),
                     description=_l("A REFI-QDA project (.qdpx, or a bare .qde) as ATLAS.ti, NVivo, MAXQDA, "
                                    "QualCoder or this workbench export it; up to 50 MB."),
                     validators=[FileRequired(_l("Choose a project file"))])
    submit = SubmitField(_l("Check the project"), widget=GovSubmitInput())


class ProjectConfirmForm(ProjectChoicesForm):
    submit = SubmitField(_l("Import the project"), widget=GovSubmitInput())
