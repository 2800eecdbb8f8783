from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..i18n import lazy_gettext as _l

PASSWORD_MIN = 10


class LoginForm(FlaskForm):
    email = StringField(_l("Email address"), widget=GovTextInput(),
                        validators=[DataRequired(_l("Enter your email address")), Length(max=254)])
    password = PasswordField(_l("Password"), widget=GovPasswordInput(),
                             validators=[DataRequired(_l("Enter your password")), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"), widget=GovCheckboxInput())
    submit = SubmitField(_l("Sign in"), widget=GovSubmitInput())


class ResetRequestForm(FlaskForm):
    email = StringField(_l("Email address"), widget=GovTextInput(),
                        validators=[DataRequired(_l("Enter your email address")),
                                    Email(_l("Enter an email address in the correct format, like name@example.org")),
                                    Length(max=254)])
    submit = SubmitField(_l("Send me a reset link"), widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), widget=GovPasswordInput(),
        description=_l("At least %(n)s characters. A short sentence is easy to remember.", n=PASSWORD_MIN),
        validators=[DataRequired(_l("Enter a new password")),
                    Length(min=PASSWORD_MIN, max=200,
                           message=_l("Your password must be between %(min)s and %(max)s characters",
                                      min=PASSWORD_MIN, max=200))])
    confirm = PasswordField(_l("Confirm new password"), widget=GovPasswordInput(),
                            validators=[DataRequired(_l("Confirm your new password")),
                                        EqualTo("password", _l("The passwords do not match"))])
    submit = SubmitField(_l("Save password"), widget=GovSubmitInput())


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), widget=GovPasswordInput(),
                            validators=[DataRequired(_l("Enter your current password")), Length(max=200)])
    submit = SubmitField(_l("Change password"), widget=GovSubmitInput())


class AccountForm(FlaskForm):
    name = StringField(_l("Your name"), widget=GovTextInput(),
                       description=_l("As colleagues in the network know you; shown beside your codings and "
                                      "reviews."),
                       validators=[DataRequired(_l("Enter your name")),
                                   Length(max=120, message=_l("Your name must be 120 characters or fewer"))])
    locale = SelectField(_l("Language of the interface and emails"),
                         choices=(("en", "English"), ("es", "Español"), ("fr", "Français")), widget=GovSelect())
    submit = SubmitField(_l("Save"), widget=GovSubmitInput())
