from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..i18n import lazy_gettext as _l

DIRECTIONS = (("more", _l("More of (we want more of this)")), ("less", _l("Less of (we want less of this)")))
FAMILIES = (("process", _l("Process")), ("culture", _l("Culture")), ("context", _l("Context")))


class CodeForm(FlaskForm):
    key = StringField(_l("Id"), widget=GovTextInput(),
                      description=_l("Fixed once created: lower-case letters, numbers and underscores. Left empty, "
                                     "it is made from the English label."),
                      validators=[Optional(), Length(max=60)])
    label_en = StringField(_l("Label in English"), widget=GovTextInput(),
                           validators=[DataRequired(_l("Enter the English label")), Length(max=120)])
    label_es = StringField(_l("Label in Spanish"), widget=GovTextInput(), validators=[Optional(), Length(max=120)])
    label_fr = StringField(_l("Label in French"), widget=GovTextInput(), validators=[Optional(), Length(max=120)])
    definition_en = TextAreaField(_l("Definition in English"), widget=GovTextArea(),
                                  validators=[Optional(), Length(max=2000)])
    definition_es = TextAreaField(_l("Definition in Spanish"), widget=GovTextArea(),
                                  validators=[Optional(), Length(max=2000)])
    definition_fr = TextAreaField(_l("Definition in French"), widget=GovTextArea(),
                                  validators=[Optional(), Length(max=2000)])
    direction = RadioField(_l("Direction"), choices=DIRECTIONS, default="more", widget=GovRadioInput())
    family = RadioField(_l("Family"), choices=FAMILIES, default="context", widget=GovRadioInput(),
                        description=_l("Process and culture codes feed the indicators of the same name; "
                                       "context codes describe harms."))
    parent = SelectField(_l("Sub-code of (optional)"), widget=GovSelect(), validators=[Optional()])
    submit = SubmitField(_l("Save code"), widget=GovSubmitInput())

    def data_for_operations(self) -> dict:
        return {
            "key": self.key.data,
            "labels": {lang: getattr(self, f"label_{lang}").data or "" for lang in ("en", "es", "fr")},
            "definitions": {lang: getattr(self, f"definition_{lang}").data or "" for lang in ("en", "es", "fr")},
            "direction": self.direction.data, "family": self.family.data, "parent": self.parent.data or None,
        }


class MergeForm(FlaskForm):
    target = SelectField(_l("Merge into"), widget=GovSelect(),
                         description=_l("Every coding of this code moves to the code you choose; this code is "
                                        "retired and remembers where its codings went."),
                         validators=[DataRequired(_l("Choose the code to merge into"))])
    submit = SubmitField(_l("Merge codes"), widget=GovSubmitInput())


class MemoForm(FlaskForm):
    memo = TextAreaField(_l("Memo"), widget=GovTextArea(),
                         validators=[DataRequired(_l("Write the memo first")), Length(max=10_000)])
    submit = SubmitField(_l("Add memo"), widget=GovSubmitInput())
