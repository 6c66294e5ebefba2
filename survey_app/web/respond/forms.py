"""Forms of the respondent's pages. A question page's form is built from its questionnaire."""
from __future__ import annotations

from functools import lru_cache

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import AnyOf, Length, Optional

from ..common import IdListField

ACTIONS = ("next", "prev", "later")


@lru_cache(maxsize=256)
def page_form(question_ids: tuple[str, ...]) -> type[FlaskForm]:
    """A form class with one field ``q_<question>`` per question of a page, and the button pressed.

    Option codes are checked against the question's scale by the service, which says which
    question is wrong; here they only have to be short text.
    """
    fields = {f"q_{q}": StringField(q) for q in question_ids}
    fields["action"] = StringField(validators=[Optional(), AnyOf(ACTIONS)], default="next")
    return type("PageForm", (FlaskForm,), fields)


def posted_answers(form: FlaskForm, question_ids: tuple[str, ...]) -> dict[str, str | None]:
    """Question id -> the option posted (None when none was chosen); the scale check is the service's."""
    return {q: (form[f"q_{q}"].data or None) for q in question_ids}


def pressed(form: FlaskForm) -> str:
    """The button pressed: ``next`` (the default), ``prev`` or ``later``."""
    return form.action.data if form.action.data in ACTIONS else "next"


class ChooseForm(FlaskForm):
    """The units a department head worked with (checkboxes named ``unit``)."""

    unit = IdListField()


class ResumeForm(FlaskForm):
    """A draft saved on another device: its resume code, or "start again" (the draft thrown away unread)."""

    code = StringField("Mã tiếp tục", validators=[Length(max=64)])
    restart = BooleanField()


class SendForm(FlaskForm):
    """The final submit; ``client_id`` makes a retried submit harmless."""

    client_id = StringField(validators=[Length(max=64)])


class DisputeForm(FlaskForm):
    """"Tôi không gửi phiếu này" on a used link's page: nothing but the CSRF token (no free text, so the
    report says nothing about the person beyond the link itself)."""
