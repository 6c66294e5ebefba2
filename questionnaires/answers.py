"""One answer checked against its question, of any kind, and what a comment may keep.

Every channel (web form, QR card, paper keying, API, the box at close) sends an answer as one string:

- a **scored** or **profile** question: one option code of its scale;
- an **expectation**: the chosen option codes joined by one space, in the scale's order, at most
  ``choose_up_to`` of them (:func:`joined_choices` writes it, :func:`split_choices` reads it);
- a **comment**: the text, at most ``max_length`` characters, stored with phone numbers and e-mail
  addresses masked (:func:`mask_contacts`).

Only scored questions must be answered; the others may be left out (a respondent need not describe
themselves, nor choose or write anything). Plain Python: no Flask, no database.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from .model import CHOICE_SEPARATOR, CriteriaSet, Question

# A phone number: 9 to 11 digits, maybe after +84, maybe grouped by spaces, dots or dashes ("0912 345 678",
# "+84.912.345.678"); an e-mail address. What a comment keeps in their place says that something was masked.
_PHONE = re.compile(r"(?<![\w.])(?:\+\s?84|0084)?[\s.\-]?(?:\d[\s.\-]?){8,10}\d(?!\w)")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
PHONE_MASK = "[số điện thoại đã che]"
EMAIL_MASK = "[thư điện tử đã che]"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # control characters but tab and line feed (NUL fails PostgreSQL)


def mask_contacts(text: str) -> str:
    """The comment as stored: control characters dropped (a NUL sent by the API or keyed would not store),
    every phone number and e-mail address replaced by a mark, its spaces tidied.

    Examples
    --------
    >>> mask_contacts("Gọi tôi 0912 345 678 hoặc an.nguyen@gmail.com nhé")
    'Gọi tôi [số điện thoại đã che] hoặc [thư điện tử đã che] nhé'
    >>> mask_contacts("Số +84.912.345.678; hồ sơ số 000.00.12.H12 mất 15 ngày")
    'Số [số điện thoại đã che]; hồ sơ số 000.00.12.H12 mất 15 ngày'
    >>> mask_contacts("Tốt" + chr(0) + " lắm ")
    'Tốt lắm'
    """
    text = _EMAIL.sub(EMAIL_MASK, _CONTROL.sub("", text))
    text = _PHONE.sub(lambda m: (" " if m.group(0)[:1].isspace() else "") + PHONE_MASK, text)
    return re.sub(r"[ \t]+", " ", text).strip()


def split_choices(answer: str) -> list[str]:
    """An expectation's stored answer as its option codes.

    Examples
    --------
    >>> split_choices("thoi_gian phi"), split_choices("")
    (['thoi_gian', 'phi'], [])
    """
    return [code for code in answer.split(CHOICE_SEPARATOR) if code]


def joined_choices(cset: CriteriaSet, question: Question, codes: Iterable[str]) -> str:
    """Chosen option codes as one stored answer: distinct, in the scale's order (codes not in the scale are
    kept at the end, for :func:`answer_error` to name).

    Examples
    --------
    >>> from questionnaires import DEFAULT_SET_DIR, load_criteria_set
    >>> cs = load_criteria_set(DEFAULT_SET_DIR.parent / "sipas")
    >>> joined_choices(cs, cs.question_by_key[("xa", "XE1")], ["phi", "thong_tin", "phi"])
    'thong_tin phi'
    """
    order = {code: i for i, code in enumerate(cset.scale_by_code[question.scale].by_code)}
    chosen = dict.fromkeys(c.strip() for c in codes if c and c.strip())
    return CHOICE_SEPARATOR.join(sorted(chosen, key=lambda c: order.get(c, len(order))))


def answer_error(cset: CriteriaSet, question: Question, answer: str) -> str | None:
    """What is wrong with ``answer`` to ``question`` (Vietnamese, for the person who sent it), or None.

    Examples
    --------
    >>> from questionnaires import DEFAULT_SET_DIR, load_criteria_set
    >>> cs = load_criteria_set(DEFAULT_SET_DIR.parent / "sipas")
    >>> e = cs.question_by_key[("xa", "XE1")]
    >>> answer_error(cs, e, "thong_tin phi"), answer_error(cs, e, "thong_tin phi giay_to thai_do")
    (None, 'chọn tối đa 3 phương án (đã chọn 4)')
    >>> answer_error(cs, cs.question_by_key[("xa", "XC1")], "x" * 501)
    'ý kiến dài quá 500 ký tự (501)'
    """
    if question.kind == "comment":
        if len(answer) > question.max_length:
            return f"ý kiến dài quá {question.max_length} ký tự ({len(answer)})"
        return None
    options = cset.scale_by_code[question.scale].by_code
    if question.kind == "expectation":
        codes = split_choices(answer)
        unknown = [c for c in codes if c not in options]
        if unknown:
            return f"phương án '{unknown[0]}' không có (dùng: {', '.join(options)})"
        if len(set(codes)) != len(codes):
            return "một phương án được chọn hai lần"
        if len(codes) > question.choose_up_to:
            return f"chọn tối đa {question.choose_up_to} phương án (đã chọn {len(codes)})"
        if not codes:
            return "chưa chọn phương án nào"
        return None
    if answer not in options:
        return f"phương án '{answer}' không có (dùng: {', '.join(options)})"
    return None
