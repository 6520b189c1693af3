"""Imported once by the report workers' fork server, so each worker starts with the renderer loaded."""

import weasyprint  # noqa: F401, E402  (pango and the fonts: the slow part of a worker's start)
from smartdd.reports import build, due_diligence, excel, portfolio, render, self_scorecard  # noqa: F401
