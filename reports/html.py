"""HTML reports: one due-diligence report per investee and a portfolio overview (index.html)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from smartdd.reports.data import ReportData
from smartdd.reports.format import METRICS, day, fmt

from smartdd.safe_text import printable

TEMPLATES = Path(__file__).with_name("templates")


def _env() -> Environment:
    # every value printed passes `printable` (then autoescape): no control character reaches a page
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        finalize=lambda value: printable(value) if isinstance(value, str) else value,
    )
    env.filters["fmt"] = fmt
    env.filters["day"] = day
    return env


def write_html_reports(data: ReportData, out_dir: Path) -> list[Path]:
    env = _env()
    out_dir.mkdir(parents=True, exist_ok=True)
    overview = env.get_template("portfolio.html.j2").render(rows=_latest(data.scorecard).to_dict("records"), pending=_unscored_rejections(data))
    written = [_write(out_dir / "index.html", overview)]
    template = env.get_template("investee.html.j2")
    for investee_id in data.investees:
        written.append(_write(out_dir / f"{investee_id}.html", template.render(**investee_context(data.for_investee(investee_id), investee_id))))
    return written


def investee_context(data: ReportData, investee_id: str) -> dict:
    """What one investee's report shows, shared by the HTML and PDF builders."""
    metrics = data.metrics
    periods = [day(p) for p in metrics["period_end"]]
    latest = periods[-1] if periods else ""
    present = [m for m in METRICS if m[0] in metrics.columns]
    return {
        "investee_id": investee_id,
        "institution_name": _first(metrics, "institution_name", investee_id),
        "country": _first(metrics, "country", ""),
        "latest": latest,
        "periods": periods,
        "scorecard": _rows_for(data.scorecard, latest)[:1],
        "principles": _rows_for(data.principles, latest),
        "flags": _rows_for(data.flags, latest),
        "pricing": _rows_for(data.pricing, latest),
        "metric_table": [(label, [fmt(v, pattern) for v in metrics[column]]) for column, label, pattern in present],
        "warnings": data.warnings.to_dict("records"),
        "submissions": data.submissions.to_dict("records"),
    }


def _rows_for(frame, period: str) -> list[dict]:
    return frame[frame["period_end"].astype(str).str[:10] == period].to_dict("records")


def _first(frame, column: str, default: str) -> str:
    return str(frame[column].iloc[-1]) if column in frame.columns and len(frame) else default


def _unscored_rejections(data: ReportData) -> list[dict]:
    """Rejected workbooks for a quarter that has no accepted one: the investee still owes it."""
    scored = set(zip(data.scorecard["investee_id"], data.scorecard["period_end"].astype(str).str[:10], strict=True))
    rejected = data.submissions[data.submissions["status"] == "rejected"]
    return [r for r in rejected.to_dict("records") if (r["investee_id"], day(r["period_end"])) not in scored]


def _latest(scorecard):
    return scorecard.sort_values("period_end").groupby("investee_id").tail(1).sort_values("investee_id")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
