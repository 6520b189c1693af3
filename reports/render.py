"""Templates to documents: one Jinja template gives the HTML page, and WeasyPrint prints it to PDF."""

from __future__ import annotations

import gc
import logging
import re
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from smartdd.reports.format import change, day, fmt, pct, score

from smartdd.safe_text import printable
from smartdd.storage import atomic_path, write_text_atomic

TEMPLATES = Path(__file__).with_name("templates")
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_SCREEN_ONLY = re.compile(r"<!--screen-->.*?<!--/screen-->", re.S)


@cache
def environment() -> Environment:
    # every value printed passes `printable` (then autoescape): no control character reaches a page
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        finalize=_printable,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt=fmt, score=score, change=change, pct=pct, day=day, breakable=breakable)
    return env


def _printable(value):
    """Text from the marts made printable; markup the templates built themselves (charts, macros) kept."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return printable(value)


def breakable(value) -> Markup:
    """A long code (ESSENTIAL_PRACTICE_MISSING) that may wrap after its underscores."""
    return Markup("_<wbr>").join(printable(str(value)).split("_"))


def render_html(template: str, context: dict) -> str:
    return environment().get_template(template).render(**context)


def write_html(path: Path, html: str) -> Path:
    return write_text_atomic(path, html)


def write_pdf(path: Path, html: str, appendix_html: str | None = None) -> Path:
    """Print `html` to `path`, followed by the pages of `appendix_html` (laid out once per process:
    the same appendix ends every report of a methodology version). Markup between <!--screen-->
    and <!--/screen--> is left out: print hides it anyway, and WeasyPrint would parse and style it."""

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # unsupported CSS is not the reader's concern
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = _render(_SCREEN_ONLY.sub("", html), str(path.parent))
    pages = document.pages + (_laid_out(appendix_html).pages if appendix_html else [])
    with atomic_path(path) as tmp:
        document.copy(pages).write_pdf(tmp)
    return path


@cache
def _laid_out(html: str):
    return _render(html, None)


def _render(html: str, base_url: str | None):
    """Lay `html` out for print, with this process's font configuration and its <style> blocks
    parsed once per process (the same few stylesheets start every document): the same pages as
    `HTML(string=html).render()`, about 8 % less work per document."""
    sheets = [_stylesheet(text) for text in _STYLE.findall(html)]
    return _printed_html()(string=_STYLE.sub("", html), base_url=base_url).render(stylesheets=sheets, font_config=_fonts())


# WeasyPrint's default stylesheet gives every element five footnote and note pseudo-elements and
# a ::marker, whose styles it computes for each of the thousands of elements of a report: a
# fifth of the styling work. No report has a footnote or a note, and only list items have markers.
_UNUSED_UA_RULES = re.compile(r"^::(?:footnote|note)-[a-z-]+ \{[^}\n]*\}\n", re.M)
_ANY_MARKER = "\n::marker {"


@cache
def _printed_html():
    """weasyprint.HTML with the default stylesheet less the rules no report uses (the same pages)."""
    from weasyprint import CSS, HTML

    try:
        from weasyprint.html import UA, UA_COUNTER_STYLE, UA_STYLESHEET

        text, dropped = _UNUSED_UA_RULES.subn("", UA)
        same_weasyprint = dropped == 5 and UA.count(_ANY_MARKER) == 1 and HTML._ua_stylesheets(None) == [UA_STYLESHEET]
    except (ImportError, AttributeError, TypeError):
        same_weasyprint = False
    if not same_weasyprint:
        return HTML  # another WeasyPrint: keep its stylesheet as it is
    sheet = CSS(string=text.replace(_ANY_MARKER, "\nli::marker {"), counter_style=UA_COUNTER_STYLE)

    class PrintedHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [sheet, *super()._ua_stylesheets(forms)[1:]]  # [1:]: the form stylesheet, if any

    return PrintedHTML


@cache
def _fonts():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()  # one per process: Pango's font map and its caches stay warm between documents


@lru_cache(maxsize=32)
def _stylesheet(text: str):
    from weasyprint import CSS

    return CSS(string=text, font_config=_fonts())


def write_document(template: str, context: dict, html_path: Path, pdf_path: Path | None = None, appendix: str | None = None) -> list[Path]:
    """The HTML page and, when asked, its PDF, from one rendering of the template; `appendix`, a
    template rendered with the same context, adds its pages to the PDF."""
    with _few_collections():
        html = render_html(template, context)
        written = [write_html(html_path, html)]
        if pdf_path is not None:
            written.append(write_pdf(pdf_path, html, render_html(appendix, context) if appendix else None))
    return written


@contextmanager
def _few_collections():
    """WeasyPrint makes millions of short-lived objects and few cycles: at Python's default
    thresholds the collector runs thousands of times per PDF (measured: 12-16 % of its CPU).
    Collect rarely during one document and once after it, so memory stays what it was."""
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 1_000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.collect()
