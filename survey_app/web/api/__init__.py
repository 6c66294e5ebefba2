"""The JSON API under ``/api/v1``: reads for analysts and admins, ballot submission for admins
and staff, with per-user API tokens. Documented by ``/api/v1/openapi.json``."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import routes  # noqa: E402,F401
