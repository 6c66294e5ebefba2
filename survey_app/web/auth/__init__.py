"""Sign-in for officials: admin, staff (scoped to units), analyst (read-only)."""
from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from . import routes  # noqa: E402,F401
