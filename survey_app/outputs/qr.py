"""QR codes as PNG and SVG (links on cards and in exports, paper ballot serials)."""
from __future__ import annotations

import io

import qrcode
import qrcode.image.pure
import qrcode.image.svg


def _qr(data: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str) -> bytes:
    """A PNG of the QR code of ``data`` (pure Python: PyPNG)."""
    buffer = io.BytesIO()
    _qr(data).make_image(image_factory=qrcode.image.pure.PyPNGImage).save(buffer)
    return buffer.getvalue()


def qr_svg(data: str) -> str:
    """An SVG of the QR code of ``data``, one path, sized by its viewBox."""
    buffer = io.BytesIO()
    _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue().decode("utf-8")
