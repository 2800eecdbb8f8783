from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..i18n import lazy_gettext as _l


class ConflictForm(FlaskForm):
    city = SelectField(_l("City"), widget=GovSelect(), validators=[DataRequired(_l("Choose the first city"))])
    other = SelectField(_l("Conflicts of interest with"), widget=GovSelect(),
                        validators=[DataRequired(_l("Choose the other city"))])
    reason = TextAreaField(
        _l("Reason"), widget=GovTextArea(),
        description=_l("What ties the two cities (a twinning agreement, shared staff, a funding dependency…). The "
                       "secretariat and both cities read it."),
        validators=[DataRequired(_l("Say what the conflict of interest is")),
                    Length(max=2000, message=_l("Must be 2,000 characters or fewer"))])
    submit = SubmitField(_l("Declare the conflict"), widget=GovSubmitInput())


class AddAssignmentForm(FlaskForm):
    reviewer = SelectField(_l("Reviewer city"), widget=GovSelect(),
                           validators=[DataRequired(_l("Choose the reviewer city"))])
    reviewed = SelectField(_l("Reviews"), widget=GovSelect(), validators=[DataRequired(_l("Choose the city"))])
    note = TextAreaField(_l("Note (optional)"), widget=GovTextArea(),
                         validators=[Length(max=1000, message=_l("Must be 1,000 characters or fewer"))])
    submit = SubmitField(_l("Add the pair"), widget=GovSubmitInput())
