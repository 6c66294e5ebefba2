"""QR codes as small inline SVG for pages that print thousands of them (the bulk print of cards and ballots).

:func:`survey_app.outputs.qr.qr_svg` lets qrcode try all eight mask patterns and scores each (about 6 ms a
code in pure Python) and builds its SVG through ElementTree (about 4 ms). Here the mask is fixed
(:data:`MASK`; every mask gives a valid code that any reader decodes, the search only avoids patterns
that are slightly harder to read) and the path is written straight from the module matrix: about 1 ms a
code, which is what lets a province's thousands of cards print in seconds. Same error correction (M).
"""
from __future__ import annotations

import re

import qrcode
import qrcode.util

MASK = 2  # columns: a fixed pattern, no search
BORDER = 4  # the quiet zone the standard asks for, in modules
_DARK = re.compile("1+")


_VERSIONS: dict[tuple[int, int], int] = {}  # (mode, length) -> the smallest version that holds it


def qr_matrix(data: str) -> list[list[bool]]:
    """The modules of the QR code of ``data`` (one segment, error correction M, mask :data:`MASK`), without
    the border. Data of one mode and length always fit the same version, found once."""
    segment = qrcode.util.QRData(data)
    key = (segment.mode, len(segment))
    version = _VERSIONS.get(key)
    code = qrcode.QRCode(version=version, error_correction=qrcode.constants.ERROR_CORRECT_M, border=0,
                         mask_pattern=MASK)
    code.add_data(segment)
    code.make(fit=version is None)
    _VERSIONS.setdefault(key, code.version)
    return code.get_matrix()


def qr_inline_svg(data: str, label: str = "") -> str:
    """An ``<svg>`` element (no XML declaration) drawing the QR code of ``data``, one path, one run of dark
    modules a segment, sized by its viewBox; ``label`` becomes its accessible name.

    Examples
    --------
    >>> svg = qr_inline_svg("0020000170", "Mã QR phiếu 0020000170")
    >>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" role="img"'), svg.count("<path")
    (True, 1)
    """
    matrix = qr_matrix(data)
    size = len(matrix) + 2 * BORDER
    runs = []
    for y, row in enumerate(matrix, BORDER):
        for run in _DARK.finditer("".join(["1" if dark else "0" for dark in row])):
            start, width = run.start() + BORDER, run.end() - run.start()
            runs.append(f"M{start} {y}h{width}v1h-{width}z")
    name = f' role="img" aria-label="{_escape(label)}"' if label else ' aria-hidden="true"'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}"{name}>'
            f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>')


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
