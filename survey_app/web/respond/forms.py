"""Forms of the respondent's pages. A question page's form is built from its questionnaire."""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, StringField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional
from wtforms.widgets import TextInput

from questionnaires import CriteriaSet, Question
from questionnaires.answers import joined_choices

from ..common import IdListField

ACTIONS = ("next", "prev", "later")


class CodeListField(Field):
    """Option codes from repeated inputs (an expectation's checkboxes), as posted; the service checks them."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        self.data = [v for v in valuelist if isinstance(v, str) and v]

    def _value(self):
        return ""


@lru_cache(maxsize=256)
def page_form(questions: tuple[tuple[str, str], ...]) -> type[FlaskForm]:
    """A form class with one field ``q_<question>`` per question of a page, and the button pressed.

    Parameters
    ----------
    questions : tuple of (str, str)
        The page's questions as (id, kind): an expectation's field takes every box ticked, a comment's is a
        text area, the others one option code.

    Option codes are checked against the question's scale by the service, which says which
    question is wrong (a comment's length too); here they only have to be text.
    """
    kinds = {"expectation": CodeListField, "comment": TextAreaField}
    fields = {f"q_{q}": kinds.get(kind, StringField)(q) for q, kind in questions}
    fields["action"] = StringField(validators=[Optional(), AnyOf(ACTIONS)], default="next")
    return type("PageForm", (FlaskForm,), fields)


def posted_answers(form: FlaskForm, cset: CriteriaSet, questions: list[Question]) -> dict[str, str | None]:
    """Question id -> the answer posted, as every channel sends it (None when none was given): an option
    code; an expectation's chosen codes joined in the scale's order; a comment's text, its line ends as one
    character each (as the browser counted them against ``maxlength``), without control characters (a NUL
    cannot be stored), white space at its ends left out. The checks are the service's."""
    posted: dict[str, str | None] = {}
    for q in questions:
        data = form[f"q_{q.id}"].data
        if q.kind == "expectation":
            posted[q.id] = joined_choices(cset, q, data or []) or None
        elif q.kind == "comment":
            posted[q.id] = clean_comment(data or "") or None
        else:
            posted[q.id] = data or None
    return posted


def clean_comment(text: str) -> str:
    r"""A comment as typed, its line ends ``\n``, control characters but tab and line end left out, stripped.

    Examples
    --------
    >>> clean_comment("  Tốt\r\nlắm\x00 ")
    'Tốt\nlắm'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc").strip()


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
