"""Forms for numeric entries: add or change one, withdraw it, upload a spreadsheet, confirm an import.

The forms only read what was typed; ``numeric.validate_entry`` decides what is valid, so the page, the API and
the spreadsheet import refuse the same things with the same words."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Optional

from ..i18n import lazy_gettext as _l
from ..widgets import DateInput
from .models import SEXES
from .numeric import (
    AGE_GROUPS,
    AGE_LABELS,
    MAX_BYTES,
    MAX_ROWS,
    SEX_LABELS,
    UNIT_LABELS,
)


class NumericEntryForm(FlaskForm):
    version = HiddenField()
    indicator = SelectField(_l("Indicator"), widget=GovSelect(), validate_choice=False,
                            validators=[InputRequired(_l("Choose the indicator"))])
    value = StringField(_l("Value"), widget=GovTextInput(),
                        description=_l("A number, for example 12.5 (a comma also works as the decimal mark)"))
    unit = SelectField(_l("Unit"), widget=GovSelect(), validate_choice=False,
                       choices=[("", _l("The indicator's own unit"))] + [(k, v) for k, v in UNIT_LABELS.items()],
                       description=_l("It must be the indicator's own unit: the list of indicators says which."))
    period_start = DateField(_l("First day of the period"), widget=DateInput(), format="%d %m %Y",
                             description=_l("For example, 1 1 2025"),
                             validators=[InputRequired(_l("Enter the first day of the period as a real date"))])
    period_end = DateField(_l("Last day of the period"), widget=DateInput(), format="%d %m %Y",
                           description=_l("For example, 31 12 2025. At most five years after the first day, and "
                                          "not in the future."),
                           validators=[InputRequired(_l("Enter the last day of the period as a real date"))])
    source = StringField(_l("Source"), widget=GovTextInput(),
                         description=_l("Who published the number, and where: for example \"Police annual "
                                        "report 2025, table 3\""))
    area = StringField(_l("Area (optional)"), widget=GovTextInput(),
                       description=_l("A neighbourhood or district; leave empty for the whole city"))
    sex = SelectField(_l("Sex"), widget=GovSelect(), default="all",
                      choices=[(s, SEX_LABELS[s]) for s in SEXES])
    age_group = SelectField(_l("Age group"), widget=GovSelect(), default="all",
                            choices=[(a, AGE_LABELS[a]) for a in AGE_GROUPS])
    is_proxy = BooleanField(_l("The value comes from a proxy, not the indicator's own data"),
                            widget=GovCheckboxInput())
    proxy_note = StringField(_l("Which proxy, and why (needed for a proxy)"), widget=GovTextArea(),
                             validators=[Optional()])
    cycle_id = SelectField(_l("Review cycle (optional)"), widget=GovSelect(), default="", validate_choice=False,
                           description=_l("Link the number to a cycle to make it the one that cycle counts. "
                                          "Otherwise a cycle counts the latest number whose period ends in the "
                                          "year before it starts or during it."))
    submit = SubmitField(_l("Save the number"), widget=GovSubmitInput())

    def entry_data(self) -> dict:
        from ..input_limits import parse_id
        return {"indicator": self.indicator.data, "value": self.value.data, "unit": self.unit.data,
                "period_start": self.period_start.data, "period_end": self.period_end.data,
                "source": self.source.data, "area": self.area.data, "sex": self.sex.data,
                "age_group": self.age_group.data, "is_proxy": bool(self.is_proxy.data),
                "proxy_note": self.proxy_note.data, "cycle_id": parse_id(self.cycle_id.data or "")}


class WithdrawForm(FlaskForm):
    version = HiddenField()
    submit = SubmitField(_l("Withdraw the number"), widget=GovSubmitInput())


class ImportForm(FlaskForm):
    file = FileField(_l("Spreadsheet (CSV or XLSX)"), widget=GovFileInput(),
                     description=_l("Up to %(mb)s MB and %(rows)s rows. The first row names the columns, as in "
                                    "the template.", mb=MAX_BYTES // (1024 * 1024), rows=MAX_ROWS),
                     validators=[FileRequired(_l("Choose a CSV or XLSX file"))])
    submit = SubmitField(_l("Check the file"), widget=GovSubmitInput())


class ConfirmImportForm(FlaskForm):
    partial = HiddenField(default="")
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())
