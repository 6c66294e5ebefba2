"""Typed reads from line-aware YAML mappings, each failure recorded as a Problem.

Every method returns ``None`` (or a safe default) on a bad value and appends a
problem naming the file and line, so the loader can go on and report every
mistake in one pass.
"""
from __future__ import annotations

import difflib
from fractions import Fraction

from .yamlnodes import LineDict, LineList, Problem


class Reader:
    """Reads values of one file, collecting problems.

    Parameters
    ----------
    file : str
        The file's name relative to the set folder, for messages.
    problems : list of Problem
        Where problems are appended.
    """

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def problem(self, line: int, code: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, code, message))

    def mapping(self, value, line: int, what: str) -> LineDict | None:
        if isinstance(value, LineDict):
            return value
        self.problem(line, "wrong_type", f"{what} phải là một bảng 'khóa: giá trị'")
        return None

    def keys(self, d: LineDict, required: tuple[str, ...], optional: tuple[str, ...], what: str) -> None:
        """Report missing required keys and keys that mean nothing here (typos)."""
        allowed = set(required) | set(optional)
        missing = [key for key in required if key not in d]
        for key in d:
            if key in allowed:
                continue
            guess = difflib.get_close_matches(str(key), missing or sorted(allowed), n=1, cutoff=0.6)
            if guess and guess[0] in missing:
                missing.remove(guess[0])  # one typo, one message
            hint = f"có phải là '{guess[0]}'?" if guess else "dùng: " + ", ".join(sorted(allowed))
            self.problem(d.line_of(key), "unknown_key", f"khóa '{key}' không dùng được ở {what} ({hint})")
        for key in missing:
            self.problem(d.line, "missing_key", f"{what} thiếu khóa '{key}'")

    def items(self, d: LineDict, key: str, required: bool = True) -> list[tuple[int, object]]:
        """The (line, item) pairs of a list value; [] when absent or not a list."""
        if key not in d:
            return []
        value = d[key]
        if value is None and not required:
            return []
        if not isinstance(value, LineList):
            self.problem(
                d.line_of(key), "wrong_type", f"'{key}' phải là một danh sách (mỗi mục một dòng bắt đầu bằng '- ')"
            )
            return []
        if required and not value:
            self.problem(d.line_of(key), "missing_key", f"danh sách '{key}' không được để trống")
        return [(value.line_of(i), item) for i, item in enumerate(value)]

    def entries(
        self,
        d: LineDict,
        key: str,
        what: str,
        required_keys: tuple[str, ...],
        optional_keys: tuple[str, ...] = (),
        required: bool = True,
        on_bad=None,
    ):
        """Yield the items of the list ``d[key]`` that are mappings, their keys checked.

        An item that is not a mapping is reported and skipped (``on_bad`` is then
        called, so a caller can note that something it needs was left out). ``required_keys`` may be a
        function of the item returning ``(required, optional)``, when the keys depend on one of its values.
        """
        for line, item in self.items(d, key, required=required):
            entry = self.mapping(item, line, what)
            if entry is None:
                if on_bad is not None:
                    on_bad()
                continue
            if callable(required_keys):
                self.keys(entry, *required_keys(entry), what)
            else:
                self.keys(entry, required_keys, optional_keys, what)
            yield entry

    def text(self, d: LineDict, key: str, default: str | None = None) -> str | None:
        if key not in d or d[key] is None:
            return default
        value = d[key]
        if isinstance(value, (LineDict, LineList)) or isinstance(value, bool):
            self.problem(d.line_of(key), "wrong_type", f"'{key}' phải là một đoạn chữ")
            return default
        text = str(value).strip()
        if not text and default is None:
            self.problem(d.line_of(key), "missing_key", f"'{key}' không được để trống")
            return None
        return text or default

    def code(self, d: LineDict, key: str) -> str | None:
        """A code such as ``1.3.2`` or ``hdnd_tinh``.

        Whole numbers are accepted (``code: 1``); a decimal number is refused,
        because ``1.10`` would silently become ``1.1``.
        """
        if key not in d or d[key] is None:
            return None
        value = d[key]
        line = d.line_of(key)
        if isinstance(value, bool) or isinstance(value, (LineDict, LineList)):
            self.problem(line, "wrong_type", f"'{key}' phải là một mã (chữ hoặc số)")
            return None
        if isinstance(value, float):
            self.problem(
                line,
                "quoted_code",
                f"mã '{value}' phải đặt trong dấu nháy (viết \"{value}\"): "
                "không có nháy, YAML đọc nó là số và có thể làm sai mã (1.10 thành 1.1)",
            )
            return None
        code = str(value).strip()
        if not code or any(ch.isspace() for ch in code):
            self.problem(line, "bad_value", f"mã '{code}' không được rỗng hay chứa khoảng trắng")
            return None
        return code

    def number(self, d: LineDict, key: str, positive: bool = False) -> float | None:
        if key not in d or d[key] is None:
            return None
        value = d[key]
        line = d.line_of(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(line, "wrong_type", f"'{key}' phải là một số (dùng dấu chấm thập phân: 0.5)")
            return None
        if positive and value <= 0:
            self.problem(line, "bad_value", f"'{key}' phải lớn hơn 0 (đang là {value})")
            return None
        if value < 0:
            self.problem(line, "bad_value", f"'{key}' không được âm (đang là {value})")
            return None
        return float(value)

    def boolean(self, d: LineDict, key: str, default: bool = False) -> bool:
        if key not in d or d[key] is None:
            return default
        if not isinstance(d[key], bool):
            self.problem(d.line_of(key), "wrong_type", f"'{key}' phải là true hoặc false")
            return default
        return d[key]

    def share(self, d: LineDict, key: str, default: Fraction) -> Fraction:
        """A share in (0, 1], written as ``2/3`` or ``0.6667``."""
        if key not in d or d[key] is None:
            return default
        value = d[key]
        try:
            result = Fraction(str(value).strip()) if not isinstance(value, bool) else None
        except (ValueError, ZeroDivisionError):
            result = None
        if result is None or not 0 < result <= 1:
            self.problem(d.line_of(key), "bad_value", f"'{key}' phải là một tỉ lệ trong (0, 1], ví dụ 2/3")
            return default
        return result
