"""YAML parsing that remembers line numbers and refuses duplicate keys.

PyYAML forgets where a value came from and lets a repeated key silently win.
A person editing a criteria set needs both: ``set.yaml:42: ...``. This module
turns YAML text into :class:`LineDict` / :class:`LineList` trees whose nodes
know their 1-based line, and reports duplicate keys as problems.
"""
from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a criteria set: where, a stable code, and a sentence.

    ``code`` names the class of error (``unknown_sub_criterion``, ...) for
    programs and tests; ``message`` is the Vietnamese sentence for people.
    """

    file: str
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message} [{self.code}]"


class LineDict(dict):
    """A mapping from YAML that knows its own line and each key's line."""

    line: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines: dict = {}

    def line_of(self, key) -> int:
        """The line of ``key`` if present, else the mapping's own line."""
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence from YAML that knows its own line and each item's line."""

    line: int = 0

    def __init__(self, *args):
        super().__init__(*args)
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def parse_yaml(text: str, file: str, problems: list[Problem]):
    """Parse one YAML document into a line-aware tree.

    Parameters
    ----------
    text : str
        The YAML source.
    file : str
        The name to report in problems (relative to the set's folder).
    problems : list of Problem
        Syntax errors and duplicate keys are appended here.

    Returns
    -------
    LineDict, LineList, scalar or None
        ``None`` when the text is not valid YAML (a problem was appended).
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or exc.context or "lỗi cú pháp"
        problems.append(Problem(file, line, "yaml_syntax", f"YAML sai cú pháp: {what}"))
        return None
    finally:
        loader.dispose()
    if node is None:
        return None
    try:
        return _convert(node, loader, file, problems)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else 1
        problems.append(Problem(file, line, "yaml_syntax", f"YAML sai cú pháp: {exc.problem}"))
        return None


def _convert(node, loader, file, problems):
    if isinstance(node, yaml.MappingNode):
        result = LineDict()
        result.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = _convert(key_node, loader, file, problems)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                problems.append(Problem(file, line, "wrong_type", "khóa phải là một chuỗi"))
                continue
            if key in result:
                problems.append(
                    Problem(
                        file,
                        line,
                        "duplicate_key",
                        f"khóa '{key}' lặp lại (đã có ở dòng {result.key_lines[key]})",
                    )
                )
                continue
            result[key] = _convert(value_node, loader, file, problems)
            result.key_lines[key] = line
        return result
    if isinstance(node, yaml.SequenceNode):
        result = LineList()
        result.line = node.start_mark.line + 1
        for item in node.value:
            result.append(_convert(item, loader, file, problems))
            result.item_lines.append(item.start_mark.line + 1)
        return result
    return loader.construct_object(node, deep=True)
