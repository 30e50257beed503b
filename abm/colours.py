"""One colour per mechanism (and per drug), used by every figure and the viz."""

from __future__ import annotations

# Keys: every name in abm.mechanisms.COUNT_COLUMNS.
MECHANISM_COLOURS: dict[str, str] = {
    "sensitive": "#4c72b0",
    "persister": "#8c8c8c",
    "axl_high": "#dd8452",
    "met_amplified": "#55a868",
    "t790m": "#c44e52",
    "c797s": "#8172b3",
    "her2_amplified": "#da8bc3",
}

# Keys: every name in abm.drugs.DRUGS. EGFR TKIs in blues by generation; the others take the
# colour family of the route they block (AXL orange, MET green, HER2 pink).
DRUG_COLOURS: dict[str, str] = {
    "gefitinib": "#6baed6",
    "erlotinib": "#4a90c2",
    "afatinib": "#2c6fb0",
    "osimertinib": "#08306b",
    "bemcentinib": "#fdae6b",
    "savolitinib": "#74c476",
    "trastuzumab": "#f1b6da",
}
