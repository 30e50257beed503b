"""The drugs, as data: which signalling routes each blocks, and how strongly.

A new drug is one new row in ``DRUGS``. Nothing elsewhere names a drug: models, schedules
and outputs read this table.

``blocks[route]`` is the fraction of that route's signalling a standard dose (relative
dose 1.0) shuts off. The seeds give which drug hits which route (biology.md 'Drugs',
003 §1, §4.1-§4.3) but no potencies; the strengths are modelling assumptions: a standard
dose nearly silences its target.

Dose response and combinations follow one rule, Bliss independence: a relative dose x of a
drug with strength b blocks 1 - (1 - b)**x of the route, and drugs hitting the same route
act independently, so the unblocked fractions multiply.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from abm.biology.mechanisms import Route


@dataclass(frozen=True)
class Drug:
    """One drug: its name as used in scenario files and outputs, and what it blocks."""

    name: str
    drug_class: str
    blocks: MappingProxyType[Route, float]
    source: str

    def block(self, route: Route, dose: float) -> float:
        """Fraction of ``route`` blocked at relative ``dose`` (Bliss: 1 - (1 - b)**dose)."""
        strength = self.blocks.get(route, 0.0)
        if dose <= 0.0 or strength <= 0.0:
            return 0.0
        return 1.0 - (1.0 - strength) ** dose


def _drug(name: str, drug_class: str, source: str, **blocks: float) -> Drug:
    return Drug(name, drug_class, MappingProxyType({Route(r): b for r, b in blocks.items()}), source)


DRUGS: dict[str, Drug] = {
    d.name: d
    for d in (
        # 1st-generation EGFR TKIs block the sensitising driver, not T790M (003 §1).
        # 1st-generation EGFR TKIs block the sensitising driver, also with C797S (which only
        # breaks covalent binding), not T790M (003 §1; Niederst 2015 Clin Cancer Res 21:3924).
        _drug(
            "gefitinib",
            "EGFR TKI, 1st generation",
            "003 §1; biology.md 'Drugs'; Niederst 2015",
            egfr_sensitive=0.95,
            egfr_c797s=0.95,
        ),
        _drug(
            "erlotinib",
            "EGFR TKI, 1st generation",
            "003 §1; biology.md 'Drugs'; Niederst 2015",
            egfr_sensitive=0.95,
            egfr_c797s=0.95,
        ),
        # Afatinib is a 2nd-generation EGFR TKI and a pan-ErbB (HER2) inhibitor (003 §1, §4.2);
        # C797S without T790M stays sensitive to it (Niederst 2015).
        _drug(
            "afatinib",
            "EGFR TKI, 2nd generation",
            "003 §1, §4.2; Niederst 2015",
            egfr_sensitive=0.95,
            egfr_c797s=0.95,
            her2=0.5,
        ),
        # Osimertinib was designed to hit T790M as well as the driver; C797S escapes it, alone or
        # with T790M (003 §1; Niederst 2015). It also inhibits HER2 at clinical concentrations
        # (TAGRISSO prescribing information §12.1), which is why HER2 amplification is rarer
        # after osimertinib (2-3%) than after 1st-generation TKIs (~12%, 003 §3.5). Its strength
        # is an assumption, a partial block far weaker than on EGFR, scanned against that row
        # (issue 14: HER2 found after osimertinib in 13% at 0, 8% at 0.1, none at 0.17 with
        # HER2 after gefitinib at 13%), weak enough that a HER2-amplified clone still outgrows
        # osimertinib (it is a reported osimertinib resistance, 003 §3.5).
        _drug(
            "osimertinib",
            "EGFR TKI, 3rd generation",
            "003 §1, §3.5; biology.md 'Drugs'; TAGRISSO label §12.1 (HER2)",
            egfr_sensitive=0.97,
            egfr_t790m=0.97,
            her2=0.12,
        ),
        # No AXL inhibitor is approved; bemcentinib is the one in EGFR-TKI trials (003 §4.3; 000 Table 2).
        _drug("bemcentinib", "AXL inhibitor", "003 §4.3; 001", axl=0.9),
        # MET inhibitor used with EGFR TKIs in TATTON / with gefitinib (003 §4.1).
        _drug("savolitinib", "MET inhibitor", "003 §4.1", met=0.9),
        # HER2 antibody in trials against HER2-amplified TKI resistance (003 §4.2).
        _drug("trastuzumab", "HER2 antibody", "003 §4.2", her2=0.8),
        # IGF-1R kinase inhibitor taken to phase 2-3 (with erlotinib in NSCLC); IGF-1R inhibition
        # restores TKI sensitivity (003 §3.4) and prevents AXL-low persisters (003 §5.2, Wang et al.).
        _drug("linsitinib", "IGF-1R inhibitor", "003 §3.4, §5.2", igf1r=0.9),
    )
}
DRUG_NAMES: tuple[str, ...] = tuple(DRUGS)


def route_blocks(doses: dict[str, float]) -> dict[Route, float]:
    """Fraction of each route blocked by a combination of drugs at the given relative doses."""
    open_fraction = {route: 1.0 for route in Route}
    for name, dose in doses.items():
        drug = DRUGS[name]
        for route in drug.blocks:
            open_fraction[route] *= 1.0 - drug.block(route, dose)
    return {route: 1.0 - f for route, f in open_fraction.items()}
