"""Load and check a criteria set folder.

A set is a folder::

    set.yaml                      fields, levels with criteria and survey
                                  sub-criteria, scales, groups, classes,
                                  the district rule
    questions/<level>.yaml        the questions of a level, each defined once
    questionnaires/<any>.yaml     one questionnaire per (level, group)

:func:`load_criteria_set` returns a frozen :class:`~questionnaires.model.CriteriaSet`
or raises :class:`CriteriaSetError` carrying **every** problem found, each with
its file and line.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from .checks import check_cross_references
from .model import CriteriaSet
from .parse_questions import parse_questionnaire_file, parse_questions_file
from .parse_set import parse_set_file
from .yamlnodes import Problem, parse_yaml

SET_FILE = "set.yaml"
QUESTIONS_DIR = "questions"
QUESTIONNAIRES_DIR = "questionnaires"
DEFAULT_SET_DIR = Path(__file__).parent / "sets" / "default"


class CriteriaSetError(Exception):
    """A criteria set with problems; ``problems`` lists all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line)))
        super().__init__("\n".join(str(p) for p in self.problems))


def read_set_texts(directory: str | Path) -> dict[str, str]:
    """Read the YAML files of a set folder as ``{relative path: text}``.

    This mapping is what a campaign freezes, so that later edits of the
    folder never change a past year's questionnaires.

    Raises
    ------
    CriteriaSetError
        When the folder or its ``set.yaml`` does not exist, or a file is not UTF-8.
    """
    root = Path(directory)
    if not root.is_dir():
        raise CriteriaSetError([Problem(str(directory), 0, "missing_file", "không tìm thấy thư mục bộ tiêu chí")])
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    paths = [root / SET_FILE]
    for sub in (QUESTIONS_DIR, QUESTIONNAIRES_DIR):
        paths += sorted(p for p in (root / sub).glob("*") if p.suffix in (".yaml", ".yml"))
    for path in paths:
        rel = path.relative_to(root).as_posix()
        if not path.is_file():
            problems.append(Problem(rel, 0, "missing_file", f"thiếu tệp {rel}"))
            continue
        try:
            texts[rel] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(rel, 0, "encoding", f"tệp không phải UTF-8 ({exc.reason})"))
    if problems:
        raise CriteriaSetError(problems)
    return texts


def set_digest(texts: Mapping[str, str]) -> str:
    """A SHA-256 over the set's files, to tell two versions of a set apart."""
    h = hashlib.sha256()
    for rel in sorted(texts):
        h.update(rel.encode() + b"\0" + texts[rel].encode() + b"\0")
    return h.hexdigest()


def load_criteria_set_from_texts(texts: Mapping[str, str]) -> CriteriaSet:
    """Build and check a criteria set from ``{relative path: YAML text}``.

    Parameters
    ----------
    texts : mapping of str to str
        As returned by :func:`read_set_texts` (or stored in a campaign).

    Returns
    -------
    CriteriaSet

    Raises
    ------
    CriteriaSetError
        With every problem found in every file.
    """
    problems: list[Problem] = []
    if SET_FILE not in texts:
        raise CriteriaSetError([Problem(SET_FILE, 0, "missing_file", f"thiếu tệp {SET_FILE}")])
    tree = parse_yaml(texts[SET_FILE], SET_FILE, problems)
    base = parse_set_file(tree, SET_FILE, problems)
    if base is None:
        raise CriteriaSetError(problems)

    questions, qnaires = [], []
    unreadable_levels: set[str] = set()
    for rel in sorted(texts):
        folder = rel.split("/", 1)[0]
        if folder not in (QUESTIONS_DIR, QUESTIONNAIRES_DIR) or rel.count("/") != 1:
            continue
        tree = parse_yaml(texts[rel], rel, problems)
        if folder == QUESTIONS_DIR:
            if tree is None:
                # Its questions are unknown: do not also report every use of them.
                unreadable_levels.add(_guess_level(texts[rel]) or "*")
            questions.extend(parse_questions_file(tree, rel, base, problems))
        else:
            qn = parse_questionnaire_file(tree, rel, base, problems)
            if qn is not None:
                qnaires.append(qn)

    cset = check_cross_references(base, questions, qnaires, unreadable_levels, problems)
    if problems:
        raise CriteriaSetError(problems)
    return CriteriaSet(**{**cset, "digest": set_digest(texts)})


def load_criteria_set(directory: str | Path) -> CriteriaSet:
    """Load and check the criteria set in a folder.

    Examples
    --------
    >>> from questionnaires import DEFAULT_SET_DIR, load_criteria_set
    >>> cs = load_criteria_set(DEFAULT_SET_DIR)
    >>> cs.level_by_code["so"].survey_max, cs.level_by_code["huyen"].survey_max
    (13.5, 14.0)
    """
    return load_criteria_set_from_texts(read_set_texts(directory))


@lru_cache(maxsize=1)
def load_default_set() -> CriteriaSet:
    """The bundled default set (2023 scheme), loaded once."""
    return load_criteria_set(DEFAULT_SET_DIR)


def _guess_level(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("level:"):
            return line.split(":", 1)[1].strip().strip("'\"") or None
    return None
