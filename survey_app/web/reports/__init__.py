"""Reports for analysts and admins: the published tables, charts and exports."""
from flask import Blueprint

bp = Blueprint("reports", __name__, template_folder="templates")

# sipas after routes: its hook answers a SIPAS campaign's requests before a PAR view runs
from . import comments, routes, sipas  # noqa: E402,F401
