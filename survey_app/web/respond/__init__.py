"""Public pages: the landing page and the respondent's link ``/s/<token>``."""
from flask import Blueprint

bp = Blueprint("respond", __name__, template_folder="templates")

from . import routes  # noqa: E402,F401
