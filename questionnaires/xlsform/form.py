"""What an XLSForm holds, and the problems reading one can find."""
from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field

VI_LABEL = "label::Vietnamese (vi)"
DEFAULT_LANGUAGE = "Vietnamese (vi)"
DONT_KNOW = "dont_know"
UNIT_FIELD = "unit"
UNITS_LIST = "units"
VI_HINT = "hint::Vietnamese (vi)"
VI_CONSTRAINT_MESSAGE = "constraint_message::Vietnamese (vi)"
SURVEY_COLUMNS = ("type", "name", VI_LABEL, "required", "par_subcriterion", "par_max_points", "par_text",
                  "par_kind", VI_HINT, "constraint", VI_CONSTRAINT_MESSAGE)
CHOICES_COLUMNS = ("list_name", "name", VI_LABEL, "par_fraction", "par_scale_name", "par_scored")
UNSCORED = "no"  # par_scored of a list to choose from (a profile's, an expectation's): no fractions
DEFAULT_CHOOSE_UP_TO = 3  # a select_multiple read without a count-selected constraint
SETTINGS_COLUMNS = ("form_title", "form_id", "version", "default_language", "par_level", "par_group")

# Types that record something about the device or the interview, not an answer.
METADATA_TYPES = {
    "start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid",
    "email", "audit", "start-geopoint", "background-audio", "imei",
}
# Columns whose logic our questionnaires do not have: reported when an imported question uses them.
LOGIC_COLUMNS = ("relevant", "constraint", "choice_filter", "calculation", "repeat_count", "trigger")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
PLAIN_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


# --- problems ----------------------------------------------------------------


@dataclass(frozen=True)
class FormProblem:
    """One thing wrong in a form: sheet, Excel row (0: the whole sheet or file), code, sentence.

    Examples
    --------
    >>> print(FormProblem("survey", 7, "missing_list", "không có danh sách 'muc_do'"))
    trang survey, dòng 7: không có danh sách 'muc_do' [missing_list]
    """

    sheet: str
    row: int
    code: str
    message: str

    def __str__(self) -> str:
        where = f"trang {self.sheet}, dòng {self.row}" if self.row else (f"trang {self.sheet}" if self.sheet else "")
        return f"{where}: {self.message} [{self.code}]" if where else f"{self.message} [{self.code}]"


class XLSFormError(Exception):
    """A form that cannot be imported or exported; ``problems`` lists every problem found."""

    def __init__(self, problems: list[FormProblem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- what a form holds ---------------------------------------------------------


@dataclass(frozen=True)
class Skipped:
    """A survey row we cannot represent: listed for the person importing, with its row."""

    row: int
    type: str
    name: str
    reason: str

    def __str__(self) -> str:
        name = f" '{self.name}'" if self.name else ""
        return f"dòng {self.row}: {self.type}{name}: {self.reason}"


@dataclass(frozen=True)
class Choice:
    """One row of the ``choices`` sheet of a list used by an imported question.

    ``fraction`` is ``None`` for the "don't know" option and for an option
    whose fraction is not given (``given`` false) yet.
    """

    list_name: str
    code: str
    label: str
    row: int
    fraction: float | None = None
    dont_know: bool = False
    given: bool = False

    @property
    def key(self) -> str:
        """``list:code``, how ``--fractions`` names this option when a code is in several lists."""
        return f"{self.list_name}:{self.code}"


@dataclass(frozen=True)
class FormQuestion:
    """A survey row that becomes a question: a scored or profile ``select_one``, an expectation
    (``select_multiple``) or a comment (``text``; no list)."""

    row: int
    id: str
    label: str
    list_name: str
    sub_criterion: str
    max_points: float | None
    text: str  # the level's wording (``par_text``), else the label
    kind: str = "scored"
    choose_up_to: int = 1
    max_length: int = 0


@dataclass
class XLSForm:
    """An XLSForm as far as a criteria set can hold it, plus what it cannot.

    Build it with :func:`read_xlsform`.
    """

    source: str
    title: str
    form_id: str
    version: str
    level: str | None
    group: str | None
    intro: str
    questions: list[FormQuestion]
    lists: dict[str, list[Choice]]  # only the lists the questions use, in choices-sheet order
    scale_names: dict[str, str]
    skipped: list[Skipped] = dc_field(default_factory=list)
    notes: list[str] = dc_field(default_factory=list)
    unscored: frozenset[str] = frozenset()  # lists only profile and expectation questions use: no fractions

    def missing_fractions(self) -> list[Choice]:
        """The options of the used scored lists whose fraction is neither given nor "don't know"."""
        return [c for name, choices in self.lists.items() if name not in self.unscored for c in choices
                if not c.given]
