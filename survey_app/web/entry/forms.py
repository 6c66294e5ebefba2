"""Forms of paper-ballot keying: the serial typed or scanned, then one digit per question (the digits of the
ticked boxes for an expectation, the text for a comment)."""
from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length


class SerialForm(FlaskForm):
    """The serial: typed or scanned on the start page (``?serial=``), then carried by the keying form."""

    class Meta:
        csrf = False  # a lookup; the keying form that writes has its own token

    serial = StringField("Mã phiếu", validators=[Length(max=40)])

    def __init__(self):
        super().__init__(formdata=request.values)


COMMENT_LIMIT = 4000  # characters a comment field takes at all; the question's own limit is checked after


def keying_form(question_ids: list[str], kinds: dict[str, str] | None = None) -> type[FlaskForm]:
    """A form class with the serial and one field ``q_<question>`` per question of a questionnaire: a digit,
    or for an expectation (``kinds``) the digits of its ticked boxes, for a comment its text."""
    kinds = kinds or {}
    fields = {}
    for q in question_ids:
        if kinds.get(q) == "expectation":
            fields[f"q_{q}"] = SelectMultipleField(q, choices=[], validate_choice=False)
        elif kinds.get(q) == "comment":
            fields[f"q_{q}"] = TextAreaField(q, validators=[Length(max=COMMENT_LIMIT)])
        else:
            fields[f"q_{q}"] = StringField(q, validators=[Length(max=4)])
    return type("KeyingForm", (FlaskForm,), {"serial": HiddenField(validators=[Length(max=40)]), **fields})


def typed_keys(form: FlaskForm, question_ids: list[str]) -> dict[str, str]:
    """What was typed per question id (an expectation's ticked digits joined by spaces)."""
    typed = {}
    for q in question_ids:
        data = form[f"q_{q}"].data
        typed[q] = " ".join(str(d) for d in data) if isinstance(data, list) else (data or "")
    return typed
