from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..i18n import lazy_gettext as _l
from .models import CITY_ROLES, NETWORK_ROLES

LOCALES = (("en", "English"), ("es", "Español"), ("fr", "Français"))


class _PersonFields(FlaskForm):
    name = StringField(_l("Full name"), widget=GovTextInput(),
                       validators=[DataRequired(_l("Enter the person's name")),
                                   Length(max=120, message=_l("The name must be 120 characters or fewer"))])
    locale = SelectField(_l("Language of the interface and emails"), choices=LOCALES, widget=GovSelect())
    roles = SelectMultipleField(_l("Network roles"), choices=NETWORK_ROLES, widget=GovCheckboxesInput(),
                                description=_l("Leave all unticked for city staff. Peer-reviewer rights "
                                               "come from review assignments, not from a role."))


class InviteForm(_PersonFields):
    email = StringField(_l("Email address"), widget=GovTextInput(),
                        validators=[DataRequired(_l("Enter an email address")),
                                    Email(_l("Enter an email address in the correct format, like name@example.org")),
                                    Length(max=254)])
    city = SelectField(_l("City (optional)"), widget=GovSelect(), validators=[Optional()])
    city_role = SelectField(_l("Role in that city"), choices=CITY_ROLES, widget=GovSelect())
    submit = SubmitField(_l("Send invitation"), widget=GovSubmitInput())


class UserEditForm(_PersonFields):
    submit = SubmitField(_l("Save changes"), widget=GovSubmitInput())


class MembershipForm(FlaskForm):
    city = SelectField(_l("City"), widget=GovSelect(), validators=[DataRequired(_l("Choose a city"))])
    role = SelectField(_l("Role"), choices=CITY_ROLES, widget=GovSelect())
    submit = SubmitField(_l("Add to city"), widget=GovSubmitInput())


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), widget=GovTextInput(),
                       description=_l("What will use it, for example \"monthly export script\""),
                       validators=[DataRequired(_l("Give the token a name")),
                                   Length(max=80, message=_l("The name must be 80 characters or fewer"))])
    submit = SubmitField(_l("Create token"), widget=GovSubmitInput())


def city_choices(include_blank: bool = False):
    from ..cities.models import City
    from ..extensions import db
    rows = db.session.execute(db.select(City.slug, City.name).filter(City.active.is_(True))
                              .order_by(City.name)).all()
    choices = [(slug, name) for slug, name in rows]
    return ([("", _l("No city"))] if include_blank else []) + choices
