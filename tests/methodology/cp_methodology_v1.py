"""Methodology version 1 as /work/shared/design/methodology.md states it, typed in by hand.

These are the defaults the tests hold the seeds to (test_seed_defaults.py) and the constants of
the independent implementation (cp_independent.py). Nothing here reads a seed or imports smartdd:
changing a default on purpose means changing it here too.
"""

from __future__ import annotations

METHODOLOGY_VERSION = "1"

PRINCIPLES = {
    "P1": "Appropriate product design and delivery",
    "P2": "Prevention of over-indebtedness",
    "P3": "Transparency",
    "P4": "Responsible pricing",
    "P5": "Fair and respectful treatment of clients",
    "P6": "Privacy of client data",
    "P7": "Mechanisms for complaint resolution",
}
PRINCIPLE_WEIGHTS = dict.fromkeys(PRINCIPLES, 1.0)  # "weights configurable, default equal"

# section 2: code -> (principle, essential, N/A allowed); "Default weight of every indicator: 1"
E, NA = "E", "NA"
_CATALOGUE = """
CP1.1a P1 . .   CP1.1b P1 . .   CP1.2a P1 . .   CP1.3a P1 E .   CP1.3b P1 . .
CP2.1a P2 E .   CP2.1b P2 . .   CP2.1c P2 . .   CP2.2a P2 . NA  CP2.3a P2 . .   CP2.4a P2 . .   CP2.4b P2 . .   CP2.5a P2 E .
CP3.1a P3 E .   CP3.1b P3 . .   CP3.2a P3 . .   CP3.2b P3 . .   CP3.3a P3 . .
CP4.1a P4 . .   CP4.2a P4 . .   CP4.2b P4 . .   CP4.3a P4 . NA
CP5.1a P5 E .   CP5.2a P5 . .   CP5.3a P5 E .   CP5.3b P5 . NA  CP5.4a P5 . .   CP5.4b P5 . NA
CP6.1a P6 E .   CP6.1b P6 . .   CP6.2a P6 E .   CP6.2b P6 . .
CP7.1a P7 E .   CP7.1b P7 . .   CP7.2a P7 . .   CP7.3a P7 . .
"""
_words = _CATALOGUE.split()
INDICATORS = {_words[i]: (_words[i + 1], _words[i + 2] == E, _words[i + 3] == NA) for i in range(0, len(_words), 4)}
INDICATOR_WEIGHTS = dict.fromkeys(INDICATORS, 1.0)

# "Yes = 1, Partially = 0.5, No = 0; N/A is left out. A Yes or Partially without evidence counts as Partially (0.5)."
ANSWER_VALUES = {"Yes": (1.0, 0.5), "Partially": (0.5, 0.5), "No": (0.0, 0.0), "N/A": (None, None)}  # (value, value without evidence)

# section 4: (principle, metric) -> (good, bad)
METRIC_THRESHOLDS = {
    ("P1", "client_exit_rate"): (0.20, 0.50),
    ("P2", "par30_ratio"): (0.03, 0.12),
    ("P2", "restructured_ratio"): (0.01, 0.08),
    ("P2", "write_off_ratio"): (0.01, 0.06),
    ("P2", "multiple_lender_borrowers_pct"): (15.0, 45.0),
    ("P2", "dsti_over_50_share"): (0.05, 0.30),
    ("P2", "borrowers_per_loan_officer"): (300.0, 600.0),
    ("P3", "apr_disclosed_share"): (1.0, 0.0),
    ("P3", "max_apr_understatement_pp"): (1.0, 10.0),
    ("P3", "weighted_transparency_index"): (0.75, 0.25),
    ("P4", "apr_to_peer_median"): (1.0, 1.5),
    ("P5", "collection_complaints_share"): (0.05, 0.25),
    ("P6", "data_breaches_period"): (0.0, 2.0),
    ("P7", "complaint_resolution_30d_rate"): (0.95, 0.60),
    ("P7", "complaints_per_1000"): (2.0, 0.2),
}
INDICATOR_SCORE_WEIGHT, METRIC_SCORE_WEIGHT = 0.6, 0.4

# section 5: one row per condition: (flag, principle, severity, scope, metric, comparison, threshold, combine)
RED_FLAG_RULES = [
    ("ESSENTIAL_PRACTICE_MISSING", None, "critical", "indicator", "essential_indicator_answer", "=", 0.0, "any"),
    ("PAR30_HIGH", "P2", "high", "investee", "par30_ratio", ">", 0.10, "any"),
    ("PAR30_RISING", "P2", "medium", "investee", "par30_ratio_change", ">", 0.03, "any"),
    ("RESTRUCTURING_HIGH", "P2", "high", "investee", "restructured_ratio", ">", 0.05, "any"),
    ("DSTI_HIGH", "P2", "high", "investee", "dsti_over_50_share", ">", 0.20, "any"),
    ("MULTIPLE_BORROWING", "P2", "medium", "investee", "multiple_lender_borrowers_pct", ">", 30.0, "any"),
    ("MULTIPLE_BORROWING", "P2", "medium", "investee", "multi_lender_share", ">", 0.15, "any"),
    ("CROSS_INVESTEE_BORROWING", "P2", "medium", "investee", "cross_investee_share", ">", 0.05, "any"),
    ("CASELOAD_HIGH", "P2", "medium", "investee", "borrowers_per_loan_officer", ">", 450.0, "any"),
    ("APR_NOT_DISCLOSED", "P3", "high", "product", "is_apr_disclosed", "=", 0.0, "any"),
    ("APR_UNDERSTATED", "P3", "high", "product", "apr_understatement_pp", ">", 2.0, "any"),
    ("PRICE_OUTLIER", "P4", "medium", "product", "apr_to_peer_median", ">", 1.5, "any"),
    ("COLLECTION_COMPLAINTS", "P5", "high", "investee", "collection_complaints_share", ">", 0.20, "any"),
    ("DATA_BREACH", "P6", "high", "investee", "data_breaches_period", ">", 0.0, "any"),
    ("NO_COMPLAINTS_RECEIVED", "P7", "medium", "investee", "complaints_received", "=", 0.0, "all"),
    ("NO_COMPLAINTS_RECEIVED", "P7", "medium", "investee", "active_borrowers", ">", 1000.0, "all"),
    ("SLOW_COMPLAINT_RESOLUTION", "P7", "medium", "investee", "complaint_resolution_30d_rate", "<", 0.80, "any"),
    ("TAPE_MISMATCH", None, "medium", "investee", "tape_gross_loan_portfolio_gap", ">", 0.05, "any"),
    ("TAPE_MISMATCH", None, "medium", "investee", "tape_par30_gap", ">", 0.05, "any"),
    ("TAPE_MISMATCH", None, "medium", "investee", "tape_active_borrowers_gap", ">", 0.05, "any"),
    ("SCORE_DROP", None, "medium", "investee", "overall_score_change", "<=", -10.0, "any"),
]

# "A >= 85, B >= 70, C >= 50, D < 50"; the band's own screening
RATING_BANDS = [("A", 85.0, "pass"), ("B", 70.0, "pass"), ("C", 50.0, "watch"), ("D", 0.0, "fail")]
# severity -> (order, screening it forces, rating cap): "A critical red flag caps the rating at C";
# "fail ... any critical flag; watch ... any high flag"
SEVERITIES = {"critical": (1, "fail", "C"), "high": (2, "watch", None), "medium": (3, "pass", None)}
SCREENING_ORDER = {"fail": 1, "watch": 2, "pass": 3}  # the worst outcome wins

PARAMETERS = {
    "indicator_score_weight": 0.6,
    "metric_score_weight": 0.4,
    "annualisation_factor": 4.0,
    "min_complaints_for_collection_share": 10.0,
    "peer_group_min_investees": 3.0,
    "tape_par_days": 30.0,
    "dsti_limit": 0.5,
    "multi_lender_min_other_loans": 2.0,
    "months_per_year": 12.0,
    "days_per_month": 30.4375,
    "cross_quarter_glp_tolerance": 0.02,
}
REPAYMENT_FREQUENCIES = {"weekly": 52.0, "fortnightly": 26.0, "monthly": 12.0, "bullet": None}
