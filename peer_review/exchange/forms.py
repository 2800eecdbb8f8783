from ..i18n import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovRadioInput, GovSubmitInput
from wtforms import RadioField, SubmitField

from ..evidence import vocab


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
