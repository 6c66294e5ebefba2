"""Forms of paper-ballot keying: the serial typed or scanned, then one digit per question."""
from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length


class SerialForm(FlaskForm):
    """The serial: typed or scanned on the start page (``?serial=``), then carried by the keying form."""

    class Meta:
        csrf = False  # a lookup; the keying form that writes has its own token

    serial = StringField("Mã phiếu", validators=[Length(max=40)])

    def __init__(self):
        super().__init__(formdata=request.values)


def keying_form(question_ids: list[str]) -> type[FlaskForm]:
    """A form class with the serial and one text field ``q_<question>`` per question of a questionnaire."""
    fields = {f"q_{q}": StringField(q, validators=[Length(max=4)]) for q in question_ids}
    return type("KeyingForm", (FlaskForm,), {"serial": HiddenField(validators=[Length(max=40)]), **fields})


def typed_keys(form: FlaskForm, question_ids: list[str]) -> dict[str, str]:
    """What was typed per question id."""
    return {q: form[f"q_{q}"].data or "" for q in question_ids}
