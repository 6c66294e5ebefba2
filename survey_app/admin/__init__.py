"""Campaign management and the response-rate dashboard (admin; analysts may read)."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import invitations, paper, results, routes  # noqa: E402,F401
