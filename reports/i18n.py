"""The words of the investee's own scorecard in the template's languages (en, fr, es).

The practices come translated from the indicator catalogue (cp_indicators text_fr, text_es);
principle names, flag titles and the labels of the metrics a score or flag uses are here.
"""

from __future__ import annotations

LANGUAGES = ("en", "fr", "es")

UI = {
    "title": {"en": "Client-protection scorecard", "fr": "Tableau de bord de protection des clients", "es": "Cuadro de protección de los clientes"},
    "quarter": {"en": "Quarter ending", "fr": "Trimestre clos le", "es": "Trimestre cerrado el"},
    "intro": {
        "en": "Your scores this quarter, computed from the workbook you sent, against the investor's portfolio as a whole. No other institution is named or can be recognised here.",
        "fr": "Vos scores de ce trimestre, calculés à partir du classeur que vous avez envoyé, comparés à l'ensemble du portefeuille de l'investisseur. Aucune autre institution n'est nommée ni reconnaissable ici.",
        "es": "Sus puntuaciones de este trimestre, calculadas a partir del libro que envió, frente al conjunto de la cartera del inversor. Ninguna otra institución se nombra ni puede reconocerse aquí.",
    },
    "overall": {"en": "Overall score", "fr": "Score global", "es": "Puntuación global"},
    "rating": {"en": "Rating", "fr": "Notation", "es": "Calificación"},
    "previous": {"en": "previous quarter", "fr": "trimestre précédent", "es": "trimestre anterior"},
    "capped": {
        "en": "Your score falls in band {uncapped}, but an essential practice answered No limits the rating to {rating}.",
        "fr": "Votre score se situe dans la tranche {uncapped}, mais une pratique essentielle à laquelle vous avez répondu Non limite la notation à {rating}.",
        "es": "Su puntuación está en la franja {uncapped}, pero una práctica esencial respondida No limita la calificación a {rating}.",
    },
    "vs_portfolio": {"en": "Your scores against the portfolio", "fr": "Vos scores face au portefeuille", "es": "Sus puntuaciones frente a la cartera"},
    "you": {"en": "your score", "fr": "votre score", "es": "su puntuación"},
    "iqr": {"en": "middle half of the portfolio", "fr": "moitié centrale du portefeuille", "es": "mitad central de la cartera"},
    "median": {"en": "portfolio median", "fr": "médiane du portefeuille", "es": "mediana de la cartera"},
    "no_quartiles": {
        "en": "Fewer than {n} other institutions were scored this quarter: the portfolio's quartiles are not shown, so that no one's score can be worked out.",
        "fr": "Moins de {n} autres institutions ont été évaluées ce trimestre : les quartiles du portefeuille ne sont pas montrés, pour que le score de personne ne puisse être déduit.",
        "es": "Menos de {n} otras instituciones fueron evaluadas este trimestre: no se muestran los cuartiles de la cartera, para que no pueda deducirse la puntuación de nadie.",
    },
    "principle": {"en": "Principle", "fr": "Principe", "es": "Principio"},
    "score": {"en": "Score", "fr": "Score", "es": "Puntuación"},
    "q1": {"en": "Lower quartile", "fr": "Premier quartile", "es": "Primer cuartil"},
    "q3": {"en": "Upper quartile", "fr": "Troisième quartile", "es": "Tercer cuartil"},
    "flags": {"en": "Red flags", "fr": "Signaux d'alerte", "es": "Señales de alerta"},
    "no_flags": {"en": "No red flag this quarter.", "fr": "Aucun signal d'alerte ce trimestre.", "es": "Ninguna señal de alerta este trimestre."},
    "cells": {"en": "cells", "fr": "cellules", "es": "celdas"},
    "raise": {"en": "What would raise your score", "fr": "Ce qui ferait monter votre score", "es": "Qué subiría su puntuación"},
    "practices": {
        "en": "Practices answered No or Partially, or without evidence",
        "fr": "Pratiques répondues Non ou Partiellement, ou sans preuve",
        "es": "Prácticas respondidas No o Parcialmente, o sin evidencia",
    },
    "metrics_off": {"en": "Figures outside their target", "fr": "Indicateurs hors de leur cible", "es": "Cifras fuera de su meta"},
    "nothing": {
        "en": "Every practice is answered Yes with evidence and every figure meets its target.",
        "fr": "Toutes les pratiques sont répondues Oui avec preuve et tous les indicateurs atteignent leur cible.",
        "es": "Todas las prácticas están respondidas Sí con evidencia y todas las cifras alcanzan su meta.",
    },
    "answer": {"en": "Your answer", "fr": "Votre réponse", "es": "Su respuesta"},
    "no_evidence": {
        "en": "no evidence named: counts as Partially",
        "fr": "aucune preuve citée : compte comme Partiellement",
        "es": "sin evidencia: cuenta como Parcialmente",
    },
    "essential": {"en": "essential practice", "fr": "pratique essentielle", "es": "práctica esencial"},
    "value": {"en": "Your value", "fr": "Votre valeur", "es": "Su valor"},
    "target": {"en": "Target", "fr": "Cible", "es": "Meta"},
    "cell": {"en": "Cell", "fr": "Cellule", "es": "Celda"},
    "footer": {
        "en": "Questions: contact your investment officer.",
        "fr": "Des questions : contactez votre chargé d'investissement.",
        "es": "Preguntas: contacte a su oficial de inversión.",
    },
    "page": {"en": "Page", "fr": "Page", "es": "Página"},
    "of": {"en": "of", "fr": "sur", "es": "de"},
    "methodology": {"en": "methodology", "fr": "méthodologie", "es": "metodología"},
    "product": {"en": "product", "fr": "produit", "es": "producto"},
    "peer_hidden": {
        "en": "compared with other institutions' prices: not shown",
        "fr": "comparé aux prix d'autres institutions : non montré",
        "es": "comparado con los precios de otras instituciones: no se muestra",
    },
    "answers": {
        "Yes": {"en": "Yes", "fr": "Oui", "es": "Sí"},
        "Partially": {"en": "Partially", "fr": "Partiellement", "es": "Parcialmente"},
        "No": {"en": "No", "fr": "Non", "es": "No"},
    },
}

PRINCIPLES = {
    "P1": {
        "en": "Appropriate product design and delivery",
        "fr": "Conception et distribution appropriées des produits",
        "es": "Diseño y distribución apropiados de productos",
    },
    "P2": {"en": "Prevention of over-indebtedness", "fr": "Prévention du surendettement", "es": "Prevención del sobreendeudamiento"},
    "P3": {"en": "Transparency", "fr": "Transparence", "es": "Transparencia"},
    "P4": {"en": "Responsible pricing", "fr": "Tarification responsable", "es": "Precios responsables"},
    "P5": {
        "en": "Fair and respectful treatment of clients",
        "fr": "Traitement juste et respectueux des clients",
        "es": "Trato justo y respetuoso de los clientes",
    },
    "P6": {"en": "Privacy of client data", "fr": "Confidentialité des données des clients", "es": "Privacidad de los datos de los clientes"},
    "P7": {"en": "Mechanisms for complaint resolution", "fr": "Mécanismes de traitement des plaintes", "es": "Mecanismos de resolución de quejas"},
}

FLAGS = {
    "ESSENTIAL_PRACTICE_MISSING": {
        "fr": "Une pratique essentielle de protection des clients est répondue Non",
        "es": "Una práctica esencial de protección de los clientes está respondida No",
    },
    "PAR30_HIGH": {"fr": "Le portefeuille à risque à 30 jours est élevé", "es": "La cartera en riesgo a 30 días es alta"},
    "PAR30_RISING": {
        "fr": "Le portefeuille à risque à 30 jours augmente par rapport au trimestre précédent",
        "es": "La cartera en riesgo a 30 días sube frente al trimestre anterior",
    },
    "RESTRUCTURING_HIGH": {"fr": "La part restructurée du portefeuille est élevée", "es": "La parte reestructurada de la cartera es alta"},
    "DSTI_HIGH": {
        "fr": "Beaucoup d'emprunteurs remboursent plus de la moitié de leur revenu mensuel",
        "es": "Muchos prestatarios pagan más de la mitad de su ingreso mensual",
    },
    "MULTIPLE_BORROWING": {
        "fr": "Beaucoup d'emprunteurs ont des prêts auprès d'autres prêteurs",
        "es": "Muchos prestatarios tienen préstamos con otros prestamistas",
    },
    "CROSS_INVESTEE_BORROWING": {
        "fr": "Des emprunteurs figurent aussi chez une autre institution financée ce trimestre",
        "es": "Algunos prestatarios aparecen también en otra institución financiada este trimestre",
    },
    "CASELOAD_HIGH": {"fr": "Les agents de crédit ont une charge de clients élevée", "es": "Los oficiales de crédito tienen una carga de clientes alta"},
    "APR_NOT_DISCLOSED": {"fr": "Le TAEG d'un produit n'est pas communiqué aux clients", "es": "La TAE de un producto no se comunica a los clientes"},
    "APR_UNDERSTATED": {
        "fr": "Le TAEG communiqué d'un produit est inférieur à son TAEG réel",
        "es": "La TAE comunicada de un producto es inferior a su TAE real",
    },
    "PRICE_OUTLIER": {
        "fr": "Le TAEG d'un produit est très au-dessus de la médiane de ses pairs",
        "es": "La TAE de un producto está muy por encima de la mediana de sus pares",
    },
    "COLLECTION_COMPLAINTS": {
        "fr": "Beaucoup de plaintes portent sur les pratiques de recouvrement",
        "es": "Muchas quejas se refieren a las prácticas de cobranza",
    },
    "DATA_BREACH": {"fr": "Des données de clients ont été exposées ce trimestre", "es": "Se expusieron datos de clientes este trimestre"},
    "NO_COMPLAINTS_RECEIVED": {
        "fr": "Une grande institution n'a reçu aucune plainte (le mécanisme ne fonctionne peut-être pas)",
        "es": "Una institución grande no recibió ninguna queja (el mecanismo quizá no funciona)",
    },
    "SLOW_COMPLAINT_RESOLUTION": {"fr": "Les plaintes ne sont pas résolues en 30 jours", "es": "Las quejas no se resuelven en 30 días"},
    "TAPE_MISMATCH": {
        "fr": "Le fichier de prêts ne concorde pas avec la feuille Portfolio",
        "es": "El archivo de préstamos no concuerda con la hoja Portfolio",
    },
    "SCORE_DROP": {"fr": "Le score global a baissé par rapport au trimestre précédent", "es": "La puntuación global bajó frente al trimestre anterior"},
}

METRICS = {
    "client_exit_rate": {"fr": "Taux de sortie des clients (annualisé)", "es": "Tasa de salida de clientes (anualizada)"},
    "par30_ratio": {"fr": "PAR30", "es": "PAR30"},
    "par30_ratio_change": {"fr": "Variation du PAR30", "es": "Variación del PAR30"},
    "restructured_ratio": {"fr": "Portefeuille restructuré / encours", "es": "Cartera reestructurada / cartera bruta"},
    "write_off_ratio": {"fr": "Taux de passage en pertes (annualisé)", "es": "Tasa de castigos (anualizada)"},
    "multiple_lender_borrowers_pct": {
        "fr": "Emprunteurs ayant des prêts ailleurs (déclaré)",
        "es": "Prestatarios con préstamos en otras entidades (declarado)",
    },
    "dsti_over_50_share": {"fr": "Emprunteurs au ratio service de la dette / revenu > 50 %", "es": "Prestatarios con servicio de deuda / ingreso > 50 %"},
    "multi_lender_share": {"fr": "Emprunteurs ayant 2 autres prêteurs ou plus", "es": "Prestatarios con 2 o más otros prestamistas"},
    "cross_investee_share": {"fr": "Emprunteurs présents chez une autre institution", "es": "Prestatarios presentes en otra institución"},
    "borrowers_per_loan_officer": {"fr": "Emprunteurs par agent de crédit", "es": "Prestatarios por oficial de crédito"},
    "apr_disclosed_share": {"fr": "Portefeuille au TAEG communiqué", "es": "Cartera con TAE comunicada"},
    "max_apr_understatement_pp": {"fr": "Plus grande sous-estimation du TAEG", "es": "Mayor subestimación de la TAE"},
    "weighted_transparency_index": {"fr": "Indice de transparence pondéré", "es": "Índice de transparencia ponderado"},
    "apr_to_peer_median": {"fr": "TAEG / médiane des pairs", "es": "TAE / mediana de los pares"},
    "is_apr_disclosed": {"fr": "TAEG communiqué aux clients", "es": "TAE comunicada a los clientes"},
    "apr_understatement_pp": {"fr": "Sous-estimation du TAEG", "es": "Subestimación de la TAE"},
    "collection_complaints_share": {"fr": "Part des plaintes sur le recouvrement", "es": "Parte de quejas sobre cobranza"},
    "data_breaches_period": {"fr": "Violations de données des clients", "es": "Violaciones de datos de clientes"},
    "complaint_resolution_30d_rate": {"fr": "Plaintes résolues en 30 jours", "es": "Quejas resueltas en 30 días"},
    "complaints_per_1000": {"fr": "Plaintes pour 1 000 emprunteurs (annualisé)", "es": "Quejas por 1.000 prestatarios (anualizado)"},
    "complaints_received": {"fr": "Plaintes reçues", "es": "Quejas recibidas"},
    "active_borrowers": {"fr": "Emprunteurs actifs", "es": "Prestatarios activos"},
    "tape_gross_loan_portfolio_gap": {"fr": "Écart d'encours fichier de prêts / Portfolio", "es": "Diferencia de cartera archivo de préstamos / Portfolio"},
    "tape_par30_gap": {"fr": "Écart de PAR30 fichier de prêts / Portfolio", "es": "Diferencia de PAR30 archivo de préstamos / Portfolio"},
    "tape_active_borrowers_gap": {
        "fr": "Écart d'emprunteurs fichier de prêts / Portfolio",
        "es": "Diferencia de prestatarios archivo de préstamos / Portfolio",
    },
    "overall_score_change": {"fr": "Variation du score global", "es": "Variación de la puntuación global"},
}

COMPARISONS = {
    ">": {"en": "above", "fr": "au-dessus de", "es": "por encima de"},
    ">=": {"en": "at or above", "fr": "au moins", "es": "al menos"},
    "<": {"en": "below", "fr": "en dessous de", "es": "por debajo de"},
    "<=": {"en": "at or below", "fr": "au plus", "es": "como máximo"},
    "=": {"en": "equal to", "fr": "égal à", "es": "igual a"},
}
THRESHOLD = {"en": "the threshold", "fr": "le seuil", "es": "el umbral"}


def ui(key: str, lang: str) -> str:
    return UI[key].get(lang) or UI[key]["en"]


def words(lang: str) -> dict[str, str]:
    return {key: (value.get(lang) or value.get("en")) for key, value in UI.items() if key != "answers"}


def answer(response: str, lang: str) -> str:
    return UI["answers"].get(response, {}).get(lang, response)


def principle(code: str, lang: str, default: str) -> str:
    return PRINCIPLES.get(code, {}).get(lang) or default


def flag_title(code: str, lang: str, default: str) -> str:
    return default if lang == "en" else FLAGS.get(code, {}).get(lang, default)


def metric_label(code: str, lang: str, default: str) -> str:
    return default if lang == "en" else METRICS.get(code, {}).get(lang, default)
