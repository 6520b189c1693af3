"""Imported once by the report workers' fork server, so each worker starts with the renderer loaded."""

import gc

import weasyprint  # noqa: F401, E402  (pango and the fonts: the slow part of a worker's start)
from smartdd.reports import build, due_diligence, excel, portfolio, render, self_scorecard  # noqa: F401

# The modules above live as long as the worker: move them out of the collector's sight, so the
# collections during a document only walk what that document made.
gc.collect()
gc.freeze()
