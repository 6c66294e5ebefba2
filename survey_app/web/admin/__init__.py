"""Campaign management, paper ballots, review and the response-rate dashboard (admin; analysts may read)."""
from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates")

from . import box, criteria, dossiers, invitations, paper, print_all, results, review, routes, units, users  # noqa: E402,F401
