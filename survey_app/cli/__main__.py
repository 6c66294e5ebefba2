"""``python -m survey_app.cli``: the same as the ``parsurvey`` command."""
from . import main

main()
