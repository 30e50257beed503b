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

``pk``: the drug's standard regimen, one-compartment pharmacokinetics and exposure-response
(``abm.biology.pharmacokinetics``), with the published steady-state values it is checked
against (``tests/test_pharmacokinetics.py``). With ``[clinical] pk = true`` a schedule's doses
go through it, and x above is the day's relative exposure instead of the relative dose.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from abm.biology.mechanisms import Route
from abm.biology.pharmacokinetics import Pharmacokinetics, Reference


@dataclass(frozen=True)
class Drug:
    """One drug: its name as used in scenario files and outputs, and what it blocks."""

    name: str
    drug_class: str
    blocks: MappingProxyType[Route, float]
    source: str
    pk: Pharmacokinetics

    def block(self, route: Route, dose: float) -> float:
        """Fraction of ``route`` blocked at relative ``dose`` (Bliss: 1 - (1 - b)**dose)."""
        strength = self.blocks.get(route, 0.0)
        if dose <= 0.0 or strength <= 0.0:
            return 0.0
        return 1.0 - (1.0 - strength) ** dose


def _drug(name: str, drug_class: str, source: str, pk: Pharmacokinetics, **blocks: float) -> Drug:
    return Drug(name, drug_class, MappingProxyType({Route(r): b for r, b in blocks.items()}), source, pk)


# --- pharmacokinetics: one row per drug, values from labels and published PK studies -------
GEFITINIB_PK = Pharmacokinetics(
    regimen="250 mg once daily",
    standard_dose_mg=250.0,
    interval_h=24.0,
    half_life_h=48.0,
    # V/F gives the cited trough (CL/F 44 L/h, between V/F-based 34 and IV-based 60 L/h of
    # Swaisland 2005: IV CL 36 L/h, F 0.59, Vss 1400 L); ka puts a single dose's peak at 5 h.
    volume_l=3050.0,
    absorption_per_h=0.8,
    source="IRESSA label 12.3 (t1/2 ~48 h, tmax 3-7 h, F 60%, steady state within 10 days); Ranson 2002 "
    "J Clin Oncol 20:2240 (t1/2 48 h); Swaisland 2005 Clin Pharmacokinet 44:1165 (tmax 5 h after 250 mg); "
    "V/F fitted to the cited trough",
    reference=Reference(
        source="trough: mean 0.16-0.24 ug/mL at 250 mg/day in the phase I trials (as summarised by Yeo 2010 "
        "J Thorac Oncol 5:1048); t1/2: IRESSA label 12.3",
        half_life_h=48.0,
        cmin=200.0,
    ),
)
ERLOTINIB_PK = Pharmacokinetics(
    regimen="150 mg once daily",
    standard_dose_mg=150.0,
    interval_h=24.0,
    half_life_h=36.2,
    volume_l=233.0,
    absorption_per_h=0.95,
    source="Lu 2006 Clin Pharmacol Ther 80:136 (population PK, 1047 patients: one compartment, first-order "
    "absorption, ka 0.95/h, V/F 233 L, median t1/2 36.2 h; TARCEVA label 12.3)",
    reference=Reference(
        source="TARCEVA SmPC 5.2: steady-state trough 1.28 ug/mL in former and never smokers (phase III, "
        "n=108); t1/2 36.2 h (Lu 2006)",
        half_life_h=36.2,
        cmin=1280.0,
    ),
)
AFATINIB_PK = Pharmacokinetics(
    regimen="40 mg once daily",
    standard_dose_mg=40.0,
    interval_h=24.0,
    half_life_h=37.0,
    volume_l=2370.0,  # gives the cited AUC at steady state (CL/F 44 L/h)
    absorption_per_h=0.7,  # single-dose peak at ~5 h (tmax 2-5 h)
    source="Wind 2013 Clin Pharmacokinet 52:1101 (221 patients: tmax 2-5 h, t1/2 37 h at steady state, "
    "AUC accumulation 2.77-fold, steady state within 8 days; GILOTRIF label 12.3); V/F fitted to the AUC",
    reference=Reference(
        source="Wind 2013: day-1 AUC0-24 324 ng*h/mL at 40 mg x 2.77-fold accumulation = AUCss ~900 ng*h/mL; t1/2 37 h",
        half_life_h=37.0,
        auc_tau=900.0,
        accumulation=2.77,
    ),
)
OSIMERTINIB_PK = Pharmacokinetics(
    regimen="80 mg once daily",
    standard_dose_mg=80.0,
    interval_h=24.0,
    half_life_h=48.1,  # ln 2 x V/F / (CL/F) of Brown 2017: 986 L / 14.2 L/h
    volume_l=986.0,
    absorption_per_h=0.24,
    source="Brown 2017 Br J Clin Pharmacol 83:1216 (population PK, 780 subjects: ka 0.24/h, CL/F 14.2 L/h, "
    "V/F 986 L); TAGRISSO label 12.3 (t1/2 48 h, CL/F 14.3 L/h, steady state by 15 days)",
    reference=Reference(
        source="TAGRISSO label 12.3: t1/2 48 h, CL/F 14.3 L/h (so AUCss = 80 mg / 14.3 L/h = 5594 ng*h/mL), "
        "peak-to-trough 1.6 at steady state (Planchard 2016 Cancer Chemother Pharmacol 77:767)",
        half_life_h=48.0,
        auc_tau=5594.0,
        peak_to_trough=1.6,
        misfit=(
            (
                "peak_to_trough",
                "one compartment with t1/2 48 h under daily doses gives at most 2^(24/48) = 1.41 (1.20 at "
                "Brown 2017's ka); the cited 1.6 is the distribution phase of a two-compartment drug",
            ),
        ),
    ),
)
BEMCENTINIB_PK = Pharmacokinetics(
    regimen="200 mg once daily (after 400 mg on days 1-3)",
    standard_dose_mg=200.0,
    interval_h=24.0,
    # No human PK values are published (Loges 2025 Nat Commun 16:2846 gives the regimen only). A
    # 3-day loading dose of twice the maintenance dose fills the steady-state amount only if the
    # accumulation factor 1 / (1 - exp(-ke 24 h)) is ~6, i.e. t1/2 ~90 h.
    half_life_h=90.0,
    volume_l=1000.0,  # assumption: sets the reported concentrations only, not the effect
    absorption_per_h=0.5,  # assumption
    source="assumption: t1/2 ~90 h, constrained by the 400 mg x 3 days then 200 mg daily regimen (Loges 2025 "
    "Nat Commun 16:2846; Bhalla 2023 Lung Cancer); V/F and ka assumptions (no human PK published)",
    reference=Reference(source="none published; the half-life is the assumption above", half_life_h=90.0),
)
SAVOLITINIB_PK = Pharmacokinetics(
    regimen="600 mg once daily",
    standard_dose_mg=600.0,
    interval_h=24.0,
    half_life_h=4.0,  # the low end of 4-7 h: with ka it gives the cited Cmax at the cited AUC
    volume_l=203.0,  # CL/F 35.2 L/h = 600 mg / AUC 17054 ng*h/mL
    absorption_per_h=2.2,
    source="Gan 2019 Clin Cancer Res 25:4924 (phase I, 600 mg QD: Cmax 2415 ng/mL, AUC 17054 ng*h/mL, no "
    "accumulation); t1/2 4-7 h, tmax 2-4 h (savolitinib ADME study, Clin Pharmacol Drug Dev, summarising the "
    "phase I and DDI studies)",
    reference=Reference(
        source="Gan 2019: Cmax 2414.8 ng/mL, AUC 17053.9 ng*h/mL at 600 mg QD (no accumulation); t1/2 4-7 h",
        half_life_h=4.0,
        cmax=2414.8,
        auc_tau=17053.9,
    ),
)
TRASTUZUMAB_PK = Pharmacokinetics(
    regimen="6 mg/kg every 3 weeks intravenously (after 8 mg/kg): 408 mg at the typical 68 kg",
    standard_dose_mg=408.0,
    interval_h=504.0,
    # One compartment: V 3.6 L (between the two-compartment Vc 3.02 and Vc + Vp 5.70 L) with the
    # typical CL 0.241 L/day gives the cited peak and trough; t1/2 = ln 2 x 3.6 / 0.241 days.
    half_life_h=248.5,
    volume_l=3.6,
    absorption_per_h=None,
    source="HERCEPTIN SmPC 5.2 (typical CL 0.241 L/day at 68 kg, Vc 3.02 L, Vp 2.68 L); V fitted to the "
    "steady-state peak and trough",
    reference=Reference(
        source="HERCEPTIN SmPC 5.2 table 15 (population-predicted steady state, metastatic breast cancer, "
        "8 + 6 mg/kg q3w): Cmin,ss 44.2, Cmax,ss 179 ug/mL, AUCss 1736 ug*day/mL; terminal t1/2 25-30 days "
        "(Chen 2019 Cancer Chemother Pharmacol 83:329)",
        half_life_h=27.5 * 24.0,
        cmax=179_000.0,
        cmin=44_200.0,
        auc_tau=1736_000.0 * 24.0,
        misfit=(
            (
                "half_life",
                "one compartment cannot have both the cited peak-to-trough ratio (4.0 over 21 days) and the "
                "terminal half-life of the two-compartment antibody: the model keeps the ratio (t1/2 10.4 days), "
                "so its washout is faster than the terminal phase",
            ),
        ),
    ),
)
LINSITINIB_PK = Pharmacokinetics(
    regimen="150 mg twice daily",
    standard_dose_mg=150.0,
    interval_h=12.0,
    half_life_h=3.0,  # assumption: twice-daily dosing of the phase 2-3 trials implies a short half-life
    volume_l=100.0,  # assumption: sets the reported concentrations only, not the effect
    absorption_per_h=1.0,  # assumption
    source="regimen: Fassnacht 2015 Lancet Oncol 16:426 (phase 3), Macaulay 2016 Clin Cancer Res 22:2897 (with "
    "erlotinib); assumption: t1/2 ~3 h (constrained by twice-daily dosing), V/F and ka (values not found)",
    reference=Reference(source="none found; the half-life is the assumption above", half_life_h=3.0),
)


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
            GEFITINIB_PK,
            egfr_sensitive=0.95,
            egfr_c797s=0.95,
        ),
        _drug(
            "erlotinib",
            "EGFR TKI, 1st generation",
            "003 §1; biology.md 'Drugs'; Niederst 2015",
            ERLOTINIB_PK,
            egfr_sensitive=0.95,
            egfr_c797s=0.95,
        ),
        # Afatinib is a 2nd-generation EGFR TKI and a pan-ErbB (HER2) inhibitor (003 §1, §4.2);
        # C797S without T790M stays sensitive to it (Niederst 2015).
        _drug(
            "afatinib",
            "EGFR TKI, 2nd generation",
            "003 §1, §4.2; Niederst 2015",
            AFATINIB_PK,
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
        # HER2 after gefitinib at 13%; rescanned in session 8 at the re-fit's point, HER2 after
        # gefitinib 10.4%: after osimertinib 4.2% at 0.12, 3.1% at 0.13, 1.8% at 0.14, 0.6% at
        # 0.16, so 0.13, the reviewed 2-3%), weak enough that a HER2-amplified clone still
        # outgrows osimertinib (it is a reported osimertinib resistance, 003 §3.5).
        _drug(
            "osimertinib",
            "EGFR TKI, 3rd generation",
            "003 §1, §3.5; biology.md 'Drugs'; TAGRISSO label §12.1 (HER2)",
            OSIMERTINIB_PK,
            egfr_sensitive=0.97,
            egfr_t790m=0.97,
            her2=0.13,
        ),
        # No AXL inhibitor is approved; bemcentinib is the one in EGFR-TKI trials (003 §4.3; 000 Table 2).
        _drug("bemcentinib", "AXL inhibitor", "003 §4.3; 001", BEMCENTINIB_PK, axl=0.9),
        # MET inhibitor used with EGFR TKIs in TATTON / with gefitinib (003 §4.1).
        _drug("savolitinib", "MET inhibitor", "003 §4.1", SAVOLITINIB_PK, met=0.9),
        # HER2 antibody in trials against HER2-amplified TKI resistance (003 §4.2).
        _drug("trastuzumab", "HER2 antibody", "003 §4.2", TRASTUZUMAB_PK, her2=0.8),
        # IGF-1R kinase inhibitor taken to phase 2-3 (with erlotinib in NSCLC); IGF-1R inhibition
        # restores TKI sensitivity (003 §3.4) and prevents AXL-low persisters (003 §5.2, Wang et al.).
        _drug("linsitinib", "IGF-1R inhibitor", "003 §3.4, §5.2", LINSITINIB_PK, igf1r=0.9),
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
