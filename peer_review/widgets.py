"""Small adjustments to GOV.UK Frontend WTForms widgets: translated labels where the port hard-codes English."""
from flask_babel import gettext as _
from govuk_frontend_wtf.wtforms_widgets import GovDateInput


class DateInput(GovDateInput):
    def map_gov_params(self, field, **kwargs):
        if field.raw_data is not None and len(field.raw_data) != 3:
            field.raw_data = None  # e.g. a value posted by hand: show the stored date instead of failing
        params = super().map_gov_params(field, **kwargs)
        for item, label in zip(params["items"], (_("Day"), _("Month"), _("Year"))):
            item["label"] = label
        return params
