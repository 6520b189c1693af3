"""The portfolio's distribution of scores in one quarter: medians and quartiles per principle.

The due-diligence report draws the median on its radar; the investee's own scorecard shows the
quartiles, and only when enough other investees stand behind them that none can be recovered.
"""

from __future__ import annotations

import pandas as pd

MIN_OTHERS_FOR_QUARTILES = 5  # other investees scored that quarter: fewer, and the quartiles are not shown


def period_stats(principles: pd.DataFrame, scorecard: pd.DataFrame) -> dict:
    """{principle_code or 'overall': {n, q1, median, q3}} over the investees scored that quarter."""
    out = {}
    for code, group in principles.groupby("principle_code"):
        out[code] = _quartiles(group["score"])
    out["overall"] = _quartiles(scorecard["overall_score"])
    return out


def _quartiles(values: pd.Series) -> dict:
    values = values.dropna().astype(float)
    if values.empty:
        return {"n": 0, "q1": None, "median": None, "q3": None}
    q1, median, q3 = (float(values.quantile(q)) for q in (0.25, 0.5, 0.75))
    return {"n": int(len(values)), "q1": q1, "median": median, "q3": q3}


def quartiles_shown(stats: dict) -> bool:
    return stats.get("n", 0) - 1 >= MIN_OTHERS_FOR_QUARTILES
