"""Keying paper ballots: staff (scoped to their units) and admins."""
from flask import Blueprint

bp = Blueprint("entry", __name__, template_folder="templates")

from . import routes  # noqa: E402,F401
