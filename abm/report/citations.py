"""Sources as a reader of a figure or table reads them: a seed review's section spelled out,
not the internal label biology.md uses ("003 §3.1.2").

The seed reviews are the project's starting literature (biology.md lists them); their authors
and years are not recorded there, so they are named by subject, with the section's number and
title as the review prints them.
"""

from __future__ import annotations

import re

SEED_REVIEWS = {
    "000": "review of AXL in cancer drug resistance (seed 000)",
    "001": "BenchChem technical guide to AXL inhibition, 2025 (seed 001)",
    "003": "review of bypass-activation resistance to TKIs in NSCLC (seed 003)",
}
SHORT_NAMES = {"000": "AXL review", "001": "BenchChem AXL guide", "003": "bypass-resistance review"}
# Section titles of seed 003 as it prints them (shortened where long).
SECTIONS_003 = {
    "1": "Introduction",
    "2": "Overview of bypass activation resistance",
    "3": "Common bypass activation pathways",
    "3.1": "MET bypass activation",
    "3.1.2": "MET gene amplification and NSCLC TKI resistance",
    "3.1.3": "MET exon 14 skipping mutation and NSCLC TKI resistance",
    "3.2": "EGFR bypass activation pathways",
    "3.3.1": "Overview of the AXL gene",
    "3.3.2": "AXL bypass activation and NSCLC TKI resistance",
    "3.4": "IGF-1R activation-mediated TKI resistance",
    "3.5": "HER2/HER3 bypass signalling",
    "3.6.1": "mutations in the RAS/RAF/MAPK/ERK cascade",
    "3.6.2": "mutations in the PI3K/AKT cascade",
    "4": "Current treatment strategies",
    "4.3": "Targeting AXL bypass activation",
    "4.4": "Targeting cascade signalling pathways",
    "5.1": "Conclusion",
    "5.2": "Outlook",
}
_SEED = re.compile(r"\b(00[013]) ((?:§[\d.]+(?:, (?=§))?)+)(?:\s*\(([^()]*)\))?")
_SECTION = re.compile(r"§([\d.]+)")
# Internal references that say nothing to a reader: dropped, or said in words.
_INTERNAL = (
    (re.compile(r";? ?abm\.[\w.]+"), ""),
    (re.compile(r"\bplausibility \(issue (\d+)\)"), r"plausibility bound, no published frequency (project issue \1)"),
    (re.compile(r"\bbiology\.md\b"), "the project's biology notes"),
)


def _sections(review: str, sections: str, detail: str | None, short: bool) -> str:
    numbers = _SECTION.findall(sections)
    if short:
        return f"{SHORT_NAMES[review]} (seed {review}), sec. {', '.join(numbers)} "
    titles = SECTIONS_003 if review == "003" else {}
    spelled = [f"section {n}" + (f" ({titles[n.rstrip('.')]})" if n.rstrip(".") in titles else "") for n in numbers]
    return f"{SEED_REVIEWS[review]}, {', '.join(spelled)}" + (f": {detail}" if detail else " ")


def readable_source(source: str, short: bool = False) -> str:
    """'003 §3.1.2 (Bean 2/62 = 3%)' -> 'review of bypass-activation resistance to TKIs in NSCLC
    (seed 003), section 3.1.2 (MET gene amplification and NSCLC TKI resistance): Bean 2/62 = 3%';
    ``short``: 'bypass-resistance review (seed 003), sec. 3.1.2', for a figure."""
    text = _SEED.sub(lambda m: _sections(m.group(1), m.group(2), m.group(3), short), source)
    for pattern, words in _INTERNAL:
        text = pattern.sub(words, text)
    text = re.sub(r"\s+", " ", text).replace(" :", ":").replace(" ,", ",").replace(" ;", ";")
    return text.strip(" ;")
