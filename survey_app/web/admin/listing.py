"""Paging, search and filters shared by the long lists of the admin pages (issue 30 item 5: links, review,
units, audit). Every list is read through GET forms (no CSRF); page links keep the filters.

Pages are numbered from 1; a page past the last gives the last page, so an old link still shows something.
Search ignores case, spaces and diacritics ("ba be" finds "Huyện Ba Bể"), and finds the words in their order.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import bp

PER_PAGE = 50
# How many page numbers either side of the current one the page links show (the first and last always).
AROUND = 2


@dataclass(frozen=True)
class Page:
    """One page of a list.

    Attributes
    ----------
    items : list
        What the page shows.
    total : int
        How many items match the filters in all pages.
    page : int
        This page's number, from 1.
    pages : int
        How many pages (at least 1, even for an empty list).
    per_page : int
        Items a page.
    """

    items: list
    total: int
    page: int
    pages: int
    per_page: int

    @property
    def first(self) -> int:
        """The number (from 1) of the first item shown; 0 on an empty list."""
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        """The number of the last item shown."""
        return (self.page - 1) * self.per_page + len(self.items)

    @property
    def numbers(self) -> list[int | None]:
        """The page numbers to link, ``None`` where some are left out.

        Examples
        --------
        >>> Page([], 500, 6, 11, 50).numbers
        [1, None, 4, 5, 6, 7, 8, None, 11]
        >>> Page([], 120, 1, 3, 50).numbers
        [1, 2, 3]
        """
        return page_numbers(self.page, self.pages)


def page_numbers(page: int, pages: int, around: int = AROUND) -> list[int | None]:
    """Page numbers to link from ``page`` of ``pages``: the first, the last and ``around`` either side, with
    ``None`` for a gap of more than one page (a gap of exactly one page shows that page).

    Examples
    --------
    >>> page_numbers(1, 11)
    [1, 2, 3, None, 11]
    >>> page_numbers(5, 11)
    [1, 2, 3, 4, 5, 6, 7, None, 11]
    >>> page_numbers(1, 1)
    [1]
    """
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    numbers: list[int | None] = []
    for n in shown:
        if numbers and n - numbers[-1] == 2:
            numbers.append(n - 1)
        elif numbers and n - numbers[-1] > 2:
            numbers.append(None)
        numbers.append(n)
    return numbers


def bounds(total: int, page: int | None, per_page: int = PER_PAGE) -> tuple[int, int, int]:
    """``(page, pages, offset)`` of page ``page`` (None or out of range: the nearest page) of ``total`` items.

    Examples
    --------
    >>> bounds(120, 3), bounds(120, 9), bounds(0, None), bounds(912, 5)
    ((3, 3, 100), (3, 3, 100), (1, 1, 0), (5, 19, 200))
    """
    pages = max(1, -(-total // per_page))
    page = min(max(1, page or 1), pages)
    return page, pages, (page - 1) * per_page


def page_of(items: Sequence, page: int | None, per_page: int = PER_PAGE) -> Page:
    """Page ``page`` of a list held in memory.

    Examples
    --------
    >>> p = page_of(list(range(120)), 3)
    >>> (p.items[0], len(p.items), p.page, p.pages, p.first, p.last)
    (100, 20, 3, 3, 101, 120)
    """
    page, pages, offset = bounds(len(items), page, per_page)
    return Page(list(items[offset:offset + per_page]), len(items), page, pages, per_page)


def plain(text: str | None) -> str:
    """Text as a search compares it: lower case, no diacritics (đ as d), single spaces.

    Examples
    --------
    >>> plain("  Huyện  BA Bể "), plain("Đại biểu HĐND")
    ('huyen ba be', 'dai bieu hdnd')
    """
    decomposed = unicodedata.normalize("NFD", (text or "").lower().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def matches(query: str | None, *texts: str | None) -> bool:
    """Whether ``query`` (its words in that order) occurs in one of ``texts``; an empty query matches everything.

    Examples
    --------
    >>> matches("ba be", "Huyện Ba Bể"), matches("hdnd huyen", "Đại biểu HĐND huyện"), matches("ba be", "Bắc Kạn")
    (True, True, False)
    """
    wanted = plain(query)
    return not wanted or any(wanted in plain(t) for t in texts if t)


def kept(args: Mapping[str, Any], *leave_out: str) -> dict[str, str]:
    """The filters of a query string that page links and redirects keep: non-empty values, ``leave_out``
    (the page number, a one-off switch) left out.

    Examples
    --------
    >>> kept({"q": "ba be", "trang": "2", "don_vi": ""}, "trang")
    {'q': 'ba be'}
    """
    return {k: str(v) for k, v in args.items() if k not in leave_out and v not in (None, "")}


@bp.app_template_global()
def filter_units(units: Iterable, args: Mapping[str, str], level_names: Mapping[str, str]) -> list:
    """The units of a list that match the units page's filter: ``cap`` (a level's code) and ``q`` (words of the
    unit's name, code, level name or parent's name).

    Parameters
    ----------
    units : iterable of Unit
        The list in its order.
    args : mapping
        The query string (``request.args``).
    level_names : mapping
        Level code to its name.

    Returns
    -------
    list of Unit
        Those matching, in the same order.
    """
    level = (args.get("cap") or "").strip()
    query = (args.get("q") or "")[:200]
    return [u for u in units if (not level or u.level == level)
            and matches(query, u.name, u.code, level_names.get(u.level, u.level), u.parent.name if u.parent else None)]
