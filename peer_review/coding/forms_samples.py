"""Forms for double-coding samples: drawing one, and reconciling its disagreements."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import IntegerField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..i18n import lazy_gettext as _l
from .samples import MAX_SAMPLE_SIZE, MAX_SEED


class SampleForm(FlaskForm):
    cycle = SelectField(_l("Cycle"), coerce=int, widget=GovSelect(),
                        validators=[InputRequired(_l("Choose a cycle"))])
    size = IntegerField(_l("Number of items"), widget=GovTextInput(), default=12,
                        description=_l("Drawn at random from the cycle's items whose consent is not withdrawn "
                                       "and that are not already in an open sample"),
                        validators=[InputRequired(_l("Enter the number of items as a whole number")),
                                    NumberRange(min=1, max=MAX_SAMPLE_SIZE,
                                                message=_l("Choose between 1 and %(max)s items"))])
    coder_a = SelectField(_l("First coder"), coerce=int, widget=GovSelect(),
                          validators=[InputRequired(_l("Choose a coder"))])
    coder_b = SelectField(_l("Second coder"), coerce=int, widget=GovSelect(),
                          validators=[InputRequired(_l("Choose a coder"))])
    seed = IntegerField(_l("Seed (optional)"), widget=GovTextInput(),
                        description=_l("The same seed draws the same items again; leave empty for a random one, "
                                       "which is kept with the sample"),
                        validators=[Optional(), NumberRange(min=0, max=MAX_SEED,
                                                            message=_l("The seed must be a whole number from 0 "
                                                                       "to %(max)s"))])
    name = StringField(_l("Name (optional)"), widget=GovTextInput(),
                       validators=[Optional(), Length(max=120, message=_l("The name must be 120 characters or "
                                                                           "fewer"))])
    submit = SubmitField(_l("Draw the sample"), widget=GovSubmitInput())


DECISIONS = (("keep", _l("Keep")), ("drop", _l("Drop")))


def reconcile_form(disagreements: list[dict], formdata=None):
    """A form with one keep/drop choice per disagreement, named by ``samples.decision_field``."""

    class ReconcileForm(FlaskForm):
        submit = SubmitField(_l("Reconcile into agreed codings"), widget=GovSubmitInput())

    for entry in disagreements:
        label = _l("%(code)s on %(item)s", code=entry["code"].label() if entry["code"] else entry["code_key"],
                   item=entry["item"].title)
        setattr(ReconcileForm, entry["key"], RadioField(
            label, choices=DECISIONS, widget=GovRadioInput(),
            validators=[InputRequired(_l("Choose keep or drop for %(label)s", label=label))]))
    return ReconcileForm() if formdata is None else ReconcileForm(formdata=formdata)
