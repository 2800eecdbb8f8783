"""Forms of the field trial (a city's ratings, the secretariat's tier decision) and of a city's local indicators."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..i18n import lazy_gettext as _l
from .models import RATING_CRITERIA
from .trials import CRITERIA_LABELS

RATING_CHOICES = [("", _l("Not rated")), ("1", _l("1 – poor")), ("2", _l("2")), ("3", _l("3")), ("4", _l("4")),
                  ("5", _l("5 – good"))]


def _rating_choice(name: str, criterion: str):
    def check(form, field):
        if field.data not in {value for value, _label in RATING_CHOICES}:
            raise ValidationError(_l("%(indicator)s, %(criterion)s: choose a rating from 1 to 5, or leave it blank",
                                     indicator=name, criterion=CRITERIA_LABELS[criterion]))
    return check


class _RatingBase(FlaskForm):
    submit = SubmitField(_l("Save all ratings"), widget=GovSubmitInput())


def rating_form(indicators: list[dict], locale: str = "en", **kwargs):
    """A form with, per indicator, one select per criterion (``<key>__<criterion>``) and a comment."""
    from .definitions import text

    class RatingForm(_RatingBase):
        pass

    for ind in indicators:
        name = text(ind.get("name"), locale) or ind["id"]
        for criterion in RATING_CRITERIA:
            setattr(RatingForm, f"{ind['id']}__{criterion}", SelectField(
                CRITERIA_LABELS[criterion], choices=RATING_CHOICES, validate_choice=False, widget=GovSelect(),
                validators=[_rating_choice(name, criterion)], default=""))
        setattr(RatingForm, f"{ind['id']}__comment", TextAreaField(
            _l("Comment (optional)"), widget=GovTextArea(),
            validators=[Length(max=2000, message=_l("The comment on %(indicator)s must be 2,000 characters or "
                                                    "fewer", indicator=name))]))
    return RatingForm(**kwargs)


class MultiCheckboxField(SelectMultipleField):
    widget = GovCheckboxesInput()


class TierDecisionForm(FlaskForm):
    move = MultiCheckboxField(_l("Indicators to move to the other tier"), choices=[],
                              validators=[DataRequired(_l("Choose at least one indicator to move"))])
    reason = TextAreaField(
        _l("Reason"), widget=GovTextArea(),
        description=_l("What the field trial showed. It is kept with the new version of the definitions."),
        validators=[DataRequired(_l("Say why the indicators move")),
                    Length(max=2000, message=_l("Must be 2,000 characters or fewer"))])
    submit = SubmitField(_l("Make the new version"), widget=GovSubmitInput())


FAMILY_CHOICES = [("", _l("Choose the family")), ("process", _l("Process")), ("culture", _l("Culture")),
                  ("context", _l("Context")), ("quantitative", _l("Quantitative"))]
DIRECTION_CHOICES = [("more", _l("More of it is better")), ("less", _l("Less of it is better"))]
UNIT_CHOICES = [("", _l("Choose the unit")), ("share_of_items", _l("Share of evidence items")),
                ("level", _l("Level (0 to 4)")), ("per_100k", _l("Per 100,000 residents")),
                ("percent", _l("Percent")), ("count", _l("Count")), ("ratio", _l("Ratio"))]
DRAWS_ON_CHOICES = [("codes", _l("Coded evidence (the codes below)")), ("numeric", _l("A number the city reports"))]
FALLBACK_HINT = _l("Optional: where it is left empty, the English text is used.")


def _number(message):
    def check(form, field):
        text = (field.data or "").strip()
        try:
            float(text)
        except ValueError:
            raise ValidationError(message) from None
    return check


def _text(label, required_message=None, textarea=False, hint=None, max_len=200):
    validators = [DataRequired(required_message)] if required_message else [Optional()]
    validators.append(Length(max=max_len, message=_l("Must be %(n)s characters or fewer", n=f"{max_len:,}")))
    cls = TextAreaField if textarea else StringField
    return cls(label, widget=GovTextArea() if textarea else GovTextInput(), description=hint or "",
               validators=validators)


class LocalIndicatorForm(FlaskForm):
    key = StringField(_l("Id"), widget=GovTextInput(), description=_l(
        "A short fixed name in lower-case letters, digits and underscores, such as street_lighting_repairs. It "
        "cannot be one of the network's indicators and does not change later."),
        validators=[DataRequired(_l("Enter the id")), Length(max=60, message=_l("Must be 60 characters or fewer"))])
    name_en = _text(_l("Name in English"), _l("Enter the name in English"))
    name_es = _text(_l("Name in Spanish"), hint=FALLBACK_HINT)
    name_fr = _text(_l("Name in French"), hint=FALLBACK_HINT)
    definition_en = _text(_l("Definition in English"), _l("Enter the definition in English"), textarea=True,
                          max_len=3000, hint=_l("What it measures and how, in a sentence or two."))
    definition_es = _text(_l("Definition in Spanish"), textarea=True, max_len=3000, hint=FALLBACK_HINT)
    definition_fr = _text(_l("Definition in French"), textarea=True, max_len=3000, hint=FALLBACK_HINT)
    family = SelectField(_l("Family"), choices=FAMILY_CHOICES, widget=GovSelect(),
                         validators=[DataRequired(_l("Choose the family"))])
    direction = SelectField(_l("Which way is better"), choices=DIRECTION_CHOICES, widget=GovRadioInput(),
                            validators=[DataRequired(_l("Choose which way is better"))])
    draws_on = SelectField(_l("What it draws on"), choices=DRAWS_ON_CHOICES, widget=GovRadioInput(),
                           validators=[DataRequired(_l("Choose what it draws on"))])
    codes = MultiCheckboxField(_l("Codes that count for it"), choices=[], validate_choice=False, description=_l(
        "Evidence items carrying one of these codes (or a sub-code) support the indicator."))
    against = MultiCheckboxField(_l("Codes that count against it (optional)"), choices=[], validate_choice=False,
                                 description=_l("An item carrying one of these does not support it."))
    unit = SelectField(_l("Unit"), choices=UNIT_CHOICES, widget=GovSelect(),
                       validators=[DataRequired(_l("Choose the unit"))])
    goal_low = StringField(_l("Low goalpost"), widget=GovTextInput(), description=_l(
        "The value mapped to 0 when normalising (for a share of items, 0)."),
        validators=[DataRequired(_l("Enter the low goalpost")), _number(_l("Enter the low goalpost as a number"))])
    goal_high = StringField(_l("High goalpost"), widget=GovTextInput(), description=_l(
        "The value mapped to 100 (for a share of items, 1)."),
        validators=[DataRequired(_l("Enter the high goalpost")), _number(_l("Enter the high goalpost as a number"))])
    weight = StringField(_l("Weight"), widget=GovTextInput(), default="1", description=_l(
        "Its weight inside its dimension's composite; 1 unless the city decides otherwise."),
        validators=[DataRequired(_l("Enter the weight")), _number(_l("Enter the weight as a number"))])
    submit = SubmitField(_l("Save the indicator"), widget=GovSubmitInput())

    def data_for_ops(self) -> dict:
        numeric = self.draws_on.data == "numeric"
        return {
            "id": (self.key.data or "").strip(),
            "name": {lang: getattr(self, f"name_{lang}").data or "" for lang in ("en", "es", "fr")},
            "definition": {lang: getattr(self, f"definition_{lang}").data or "" for lang in ("en", "es", "fr")},
            "family": self.family.data, "direction": self.direction.data, "unit": self.unit.data,
            "codes": [] if numeric else list(self.codes.data or []) + ["-" + c for c in (self.against.data or [])],
            "numeric": numeric,
            "goalposts": {"low": self.goal_low.data, "high": self.goal_high.data}, "weight": self.weight.data,
        }

    def fill_from(self, content: dict) -> None:
        self.key.data = content.get("id")
        for field in ("name", "definition"):
            texts = content.get(field) or {}
            for lang in ("en", "es", "fr"):
                value = texts.get(lang) or ""
                getattr(self, f"{field}_{lang}").data = "" if lang != "en" and value == texts.get("en") else value
        self.family.data, self.direction.data, self.unit.data = (content.get("family"), content.get("direction"),
                                                                 content.get("unit"))
        codes = content.get("codes") or []
        self.draws_on.data = "numeric" if content.get("numeric") else "codes"
        self.codes.data = [c for c in codes if not c.startswith("-")]
        self.against.data = [c[1:] for c in codes if c.startswith("-")]
        goal = content.get("goalposts") or {}
        self.goal_low.data, self.goal_high.data = str(goal.get("low", "")), str(goal.get("high", ""))
        self.weight.data = str(content.get("weight", 1))


# Which form field an operation's problem belongs to (the operation names them as the form does).
FIELD_OF_PROBLEM = {"id": "key"}
