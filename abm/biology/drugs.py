"""The drugs, as data: which signalling routes each blocks, and how strongly.

A new drug is one new row in ``DRUGS``. Nothing elsewhere names a drug: models, schedules
and outputs read this table.

Two kinds of action. A targeted drug blocks signalling routes (``blocks``). A cytotoxic drug
(chemotherapy) blocks none: it kills cells in proportion to how often they divide and to how fast
the untreated tumour would grow at its size (``cytotoxic``, applied in
``abm.biology.rules.cytotoxic_hazard`` and ``hit_probability``), less what the drug-tolerant states
escape (``abm.biology.rules.chemotherapy_escape``).

``blocks[route]`` is the fraction of that route's signalling a standard dose (relative
dose 1.0) shuts off. The seeds give which drug hits which route (biology.md 'Drugs',
003 §1, §4.1-§4.3) but no potencies; the strengths are modelling assumptions: a standard
dose nearly silences its target.

Dose response and combinations follow one rule, Bliss independence: a relative dose x of a
drug with strength b blocks 1 - (1 - b)**x of the route, and drugs hitting the same route
act independently, so the unblocked fractions multiply.

``cytotoxic`` (strength f): a day at relative exposure x kills a cell dividing with probability d per
day with hazard f x d g, g the tumour's untreated growth per division at its size (Norton-Simon,
``rules.hit_probability``); so f is the kill over the untreated tumour's net growth: f < 1 slows a
tumour, f = 1 holds it, f > 1 shrinks it. Cytotoxic drugs act independently (hazards add).

``potency``: routes the drug reaches only at concentrations well above its standard exposure, each
with its own exposure-response (``RoutePotency``): the first- and second-generation EGFR TKIs on
T790M (pulsed high-dose erlotinib, Chmielecki 2011, rests on it). The block of such a route is
``Drug.block(route, x_r)`` with x_r from its own Hill curve of the relative concentration
(``Pharmacokinetics.route_exposure``): with ``pk = true`` the day's average concentration, with
``pk = false`` the relative dose (a dose d held at steady state gives d x Css,avg). Its exposure
travels with the doses as an extra entry of the rule tables' key (``POTENCY_SLOTS``).

``pk``: the drug's standard regimen, one-compartment pharmacokinetics and exposure-response
(``abm.biology.pharmacokinetics``), with the published steady-state values it is checked
against (``tests/test_pharmacokinetics.py``). With ``[clinical] pk = true`` a schedule's doses
go through it, and x above is the day's relative exposure instead of the relative dose.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from abm.biology.mechanisms import Route
from abm.biology.pharmacokinetics import LINEAR_SOURCE, Pharmacokinetics, Reference, quantised

# A potency route's exposure is rounded to 0.001 (the drugs' to 0.01): on its steep curve far below
# saturation 0.01 would be a 3% block, a step larger than the effects it is there to show.
POTENCY_DIGITS = 3


@dataclass(frozen=True)
class RoutePotency:
    """A route a drug blocks only at concentrations far above its standard exposure: the EC50 of its
    own Hill curve, as a multiple of the standard regimen's Css,avg, and the Hill coefficient. At
    saturation the route is blocked as strongly as the drug's other routes (its ``blocks`` strength)."""

    ec50: float
    hill: float
    source: str

    def __post_init__(self) -> None:
        if not (self.ec50 > 0.0 and self.hill > 0.0):
            raise ValueError("a route potency needs a positive EC50 and Hill coefficient")


@dataclass(frozen=True)
class Drug:
    """One drug: its name as used in scenario files and outputs, and what it blocks."""

    name: str
    drug_class: str
    blocks: MappingProxyType[Route, float]
    source: str
    pk: Pharmacokinetics
    cytotoxic: float = 0.0  # kill at the standard exposure over the untreated tumour's net growth
    potency: MappingProxyType[Route, RoutePotency] = MappingProxyType({})

    def route_exposure(self, route: Route, relative_concentration: float) -> float:
        """The exposure x of a ``potency`` route at relative concentration c (quantised, as the day's
        exposures are): its own Hill curve over the drug's occupancy at the standard exposure."""
        potency = self.potency[route]
        return quantised(self.pk.route_exposure(relative_concentration, potency.ec50, potency.hill), POTENCY_DIGITS)

    def block(self, route: Route, dose: float) -> float:
        """Fraction of ``route`` blocked at relative ``dose`` (Bliss: 1 - (1 - b)**dose)."""
        strength = self.blocks.get(route, 0.0)
        if dose <= 0.0 or strength <= 0.0:
            return 0.0
        return 1.0 - (1.0 - strength) ** dose


def _drug(
    name: str,
    drug_class: str,
    source: str,
    pk: Pharmacokinetics,
    cytotoxic: float = 0.0,
    potency: dict[str, RoutePotency] | None = None,
    **blocks: float,
) -> Drug:
    if not 0.0 <= cytotoxic <= 10.0 or not all(0.0 < b <= 1.0 for b in blocks.values()):
        raise ValueError(f"{name}: route strengths are fractions, a cytotoxic strength 0 to 10")
    if not blocks and not cytotoxic:
        raise ValueError(f"{name}: a drug blocks a route or kills dividing cells")
    potency = potency or {}
    if not set(potency) <= set(blocks) or (potency and pk.ec50_fraction is None):
        raise ValueError(f"{name}: a route potency needs the route's strength and the drug's exposure-response")
    return Drug(
        name,
        drug_class,
        MappingProxyType({Route(r): b for r, b in blocks.items()}),
        source,
        pk,
        cytotoxic,
        MappingProxyType({Route(r): v for r, v in potency.items()}),
    )


# --- routes reached only at high concentration ----------------------------------------------
# T790M restores the ATP affinity the sensitising mutations lower (by more than an order of magnitude
# for L858R: Yun 2008 PNAS 105:2070, seen), a loss of potency of every ATP-competitive TKI; in cells
# the 1st-generation TKIs inhibit T790M lines only at micromolar concentrations against nanomolar for
# sensitive ones (PC-9 ~10-30 nM, H1975 ~5 to >10 uM: a ratio of ~300-1000, recalled, unchecked;
# Chmielecki 2011 Sci Transl Med 3:90ra59: T790M cells inhibited at high erlotinib concentrations in
# vitro, the premise of pulsed high-dose dosing). In the model the sensitive route is half blocked at
# 0.027 x Css,avg (EC50 0.1, Hill 1, Bliss strength 0.95); a ratio of ~1000 puts T790M's half block at
# ~26 x Css,avg, i.e. EC50 50 with Hill 2. Hill 2 (assumption) keeps the block at the standard exposure
# nil (0.13% before rounding: patients progress with T790M on erlotinib at 150 mg, 003 §1, §3; and in
# this model a block of a few percent already slows T790M regrowth measurably) while the curve still
# rises within the concentrations reached in vitro. Clinical check, not a target: the twice-weekly
# 1200 mg pulses of Yu 2017 Ann Oncol 28:278 (day averages ~3-5 x Css,avg; a 1000 mg dose peaks at
# 6.28 ug/mL against a steady-state trough of 1.28 at 150 mg: phase I of weekly erlotinib, ASCO 2007
# abstract 3594) block T790M by a few percent on the pulse days: "insufficient peak serum concentrations".
T790M_AT_HIGH_CONCENTRATION = RoutePotency(
    ec50=50.0,
    hill=2.0,
    source="assumption: T790M half-blocked at ~1000x the sensitive route's concentration (in vitro IC50 ratio "
    "of T790M to sensitive cells for 1st-generation TKIs, ~300-1000, recalled, unchecked; Yun 2008 PNAS 105:2070; "
    "Chmielecki 2011 Sci Transl Med 3:90ra59), Hill 2 constrained by T790M progression on the standard dose; "
    "check: Yu 2017 Ann Oncol 28:278 (pulses too low to inhibit T790M)",
)


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

# --- issue 17: the other drugs the seeds name ------------------------------------------------
DACOMITINIB_PK = Pharmacokinetics(
    regimen="45 mg once daily",
    standard_dose_mg=45.0,
    interval_h=24.0,
    half_life_h=70.0,
    volume_l=2054.0,  # CL/F 20.3 L/h = 45 mg / AUCss 2213 ng*h/mL; V/F = CL/F x t1/2 / ln 2
    absorption_per_h=0.7,  # a single dose peaks at 6 h (median tmax 6 h, range 2-24)
    source="VIZIMPRO label 12.3 (45 mg daily: steady state within 14 days, t1/2 70 h, median tmax 6 h, "
    "F 80%, Vss 1889 L after IV); V/F from the label's steady-state AUC",
    reference=Reference(
        source="VIZIMPRO label 12.3: steady-state geometric mean Cmax 108 ng/mL and AUC0-24h 2213 ng*h/mL at "
        "45 mg daily, AUC accumulation 5.7; t1/2 70 h",
        half_life_h=70.0,
        cmax=108.0,
        auc_tau=2213.0,
        accumulation=5.7,
    ),
)
LAZERTINIB_PK = Pharmacokinetics(
    regimen="240 mg once daily",
    standard_dose_mg=240.0,
    interval_h=24.0,
    half_life_h=3.7 * 24.0,
    volume_l=4663.0,  # V/F = CL/F 36.4 L/h x t1/2 / ln 2
    absorption_per_h=1.5,  # assumption: a single dose peaks at ~3.5 h
    source="LAZCLUZE label 12.3 (240 mg daily: mean terminal t1/2 3.7 days, CL/F 36.4 L/h; both recalled, not "
    "confirmed: the label's section 12.3 was not reached in a stored page); ka an assumption",
    reference=Reference(
        source="LAZCLUZE label 12.3 (recalled, not confirmed): CL/F 36.4 L/h (so AUCss = 240 mg / 36.4 L/h = "
        "6593 ng*h/mL), terminal t1/2 3.7 days",
        half_life_h=3.7 * 24.0,
        auc_tau=6593.0,
    ),
)
CAPMATINIB_PK = Pharmacokinetics(
    regimen="400 mg twice daily",
    standard_dose_mg=400.0,
    interval_h=12.0,
    half_life_h=6.5,
    volume_l=225.0,  # V/F = CL/F 24 L/h x t1/2 / ln 2 (the label's Vss/F: 164 L)
    absorption_per_h=2.0,  # a single dose peaks at 1.5 h (tmax 1-2 h)
    source="TABRECTA label 12.3 (400 mg twice daily: steady state by day 3, tmax 1-2 h, t1/2 6.5 h, CL/F 24 L/h, "
    "Vss/F 164 L)",
    reference=Reference(
        source="TABRECTA label 12.3: AUC accumulation 1.5 at 400 mg twice daily; CL/F 24 L/h (so AUC0-12h,ss = "
        "400 mg / 24 L/h = 16667 ng*h/mL); t1/2 6.5 h",
        half_life_h=6.5,
        auc_tau=16667.0,
        accumulation=1.5,
    ),
)
TEPOTINIB_PK = Pharmacokinetics(
    regimen="450 mg once daily with food",
    standard_dose_mg=450.0,
    interval_h=24.0,
    half_life_h=32.0,
    volume_l=802.0,  # V/F = Vz after an IV tracer (574 L) / F (0.716)
    absorption_per_h=0.4,  # a single dose peaks at 8 h (median tmax 8 h, range 6-12)
    source="TEPMETKO label 12.3 / SmPC 5.2 (450 mg daily with food: median tmax 8 h, absolute F 71.6%, Vz 574 L "
    "after an IV tracer dose, seen in the SmPC 5.2 text; t1/2 32 h recalled, not confirmed); V/F = Vz / F",
    reference=Reference(
        source="TEPMETKO label 12.3 (recalled, not confirmed: the label's steady-state table was not reached in a "
        "stored page): steady-state geometric mean Cmax 1291 ng/mL and AUC0-24h 27438 ng*h/mL at 450 mg daily; "
        "t1/2 32 h",
        half_life_h=32.0,
        cmax=1291.0,
        auc_tau=27438.0,
    ),
)
CRIZOTINIB_PK = Pharmacokinetics(
    regimen="250 mg twice daily",
    standard_dose_mg=250.0,
    interval_h=12.0,
    half_life_h=42.0,
    volume_l=3636.0,  # V/F = the steady-state CL/F 60 L/h x t1/2 / ln 2
    absorption_per_h=0.8,  # a single dose peaks at 5 h (tmax 4-6 h)
    source="XALKORI label 12.3 (250 mg twice daily: tmax 4-6 h, F 43%, steady state within 15 days); phase I PK, "
    "167 patients (J Clin Oncol 28:15s, 2010, abstract e13065: terminal t1/2 42 h after one dose, CL/F 100 L/h "
    "after one dose, 64.5 and 60.1 L/h on days 15 and 28: crizotinib slows its own clearance)",
    reference=Reference(
        source="XALKORI label 12.3: median accumulation ratio 4.8 at 250 mg twice daily; CL/F 60 L/h at steady "
        "state (so AUC0-12h,ss = 250 mg / 60 L/h = 4167 ng*h/mL) and t1/2 42 h (abstract e13065)",
        half_life_h=42.0,
        auc_tau=4167.0,
        accumulation=4.8,
        misfit=(
            (
                "accumulation",
                "one compartment with the single-dose half-life (42 h) and a 4-6 h peak accumulates 6.2-fold; the "
                "label's 4.8 (a median over patients whose clearance changes with time) is not reached",
            ),
        ),
    ),
)
ONO7475_PK = Pharmacokinetics(
    regimen="10 mg once daily (the highest dose of the phase 1, tolerated)",
    standard_dose_mg=10.0,
    interval_h=24.0,
    half_life_h=24.0,  # assumption: once-daily dosing implies a half-life of about a day
    volume_l=500.0,  # assumption: sets the reported concentrations only, not the effect
    absorption_per_h=1.0,  # assumption
    source="regimen: tamnorzatinib (ONO-7475) phase 1 in Japanese patients, 3-10 mg once daily, tolerated up to "
    "10 mg alone and with nivolumab (AACR 2023 abstract CT062); assumption: t1/2 ~24 h (constrained only by "
    "once-daily dosing), V/F and ka (no human PK values published)",
    reference=Reference(source="none published; the half-life is the assumption above", half_life_h=24.0),
)
SITRAVATINIB_PK = Pharmacokinetics(
    regimen="120 mg once daily",
    standard_dose_mg=120.0,
    interval_h=24.0,
    half_life_h=47.0,  # the middle of the reported 42.1-51.5 h
    volume_l=1000.0,  # assumption: sets the reported concentrations only, not the effect
    absorption_per_h=0.5,  # assumption
    source="Bauer 2022 Invest New Drugs 40(5) (first-in-human phase 1/1b, 193 patients: 120 mg daily the "
    "recommended dose, terminal t1/2 42.1-51.5 h); V/F and ka assumptions (no concentrations taken from it)",
    reference=Reference(source="Bauer 2022: terminal t1/2 42.1-51.5 h (47 h taken)", half_life_h=47.0),
)
DS1205C_PK = Pharmacokinetics(
    regimen="twice daily; no recommended dose published (100 mg a placeholder: give it as a relative dose)",
    standard_dose_mg=100.0,  # assumption: a placeholder, the mg of a dose has no effect (EC50 is relative)
    interval_h=12.0,
    half_life_h=12.0,  # assumption: twice-daily dosing implies a half-life of about half a day
    volume_l=100.0,  # assumption: sets the reported concentrations only, not the effect
    absorption_per_h=1.0,  # assumption
    source="phase 1 with gefitinib in EGFR-mutant NSCLC progressing on TKIs (Daiichi Sankyo, first patient dosed "
    "2018); no dose or PK published that was found: regimen, t1/2 ~12 h, V/F and ka are assumptions",
    reference=Reference(source="none found; the half-life is the assumption above", half_life_h=12.0),
)
AMIVANTAMAB_PK = Pharmacokinetics(
    regimen="1050 mg every 2 weeks intravenously (<80 kg), after 1050 mg weekly for 4 weeks",
    standard_dose_mg=1050.0,
    interval_h=336.0,
    # One compartment: the total volume of distribution and the half-life of the linear clearance
    # (target-mediated clearance, saturated at this dose, is left out).
    half_life_h=13.7 * 24.0,
    volume_l=5.12,
    absorption_per_h=None,
    source="RYBREVANT SmPC 5.2 (population PK: total Vd 5.12 L, steady state by week 13, seen in the SmPC text; "
    "t1/2 of the linear clearance 13.7 days recalled, not confirmed: the stored text stops at 'Elimination'); "
    "the 4 weekly loading doses are not part of the standard regimen",
    reference=Reference(
        source="RYBREVANT SmPC 5.2: systemic accumulation 1.9-fold at steady state (seen); t1/2 13.7 days "
        "(recalled, not confirmed)",
        half_life_h=13.7 * 24.0,
        accumulation=1.9,
    ),
)
# Chemotherapy: a short-lived drug given every 3 weeks, so its exposure is linear (LINEAR_SOURCE):
# nearly all of a cycle's exposure falls on the day of the dose.
CARBOPLATIN_PK = Pharmacokinetics(
    regimen="AUC 5 mg/mL*min every 3 weeks intravenously (625 mg at GFR 100 mL/min, Calvert)",
    standard_dose_mg=625.0,  # Calvert: AUC x (GFR + 25) = 5 x (100 + 25)
    interval_h=504.0,
    half_life_h=4.0,  # the middle of the label's post-distribution 2.6-5.9 h
    volume_l=43.3,  # V = CL (GFR + 25 = 125 mL/min, 7.5 L/h) x t1/2 / ln 2
    absorption_per_h=None,
    source="Calvert 1989 J Clin Oncol 7:1748 (clearance = GFR + 25 mL/min, dose = AUC x (GFR + 25)); carboplatin "
    "t1/2 2.6-5.9 h (the PARAPLATIN label's range as Davis's Drug Guide gives it, the label itself not seen; "
    "t1/2 beta 3.0 h at CrCl >= 60 mL/min, Gaver et al., ovarian cancer patients)",
    reference=Reference(
        source="the target AUC 5 mg/mL*min = 83333 ng*h/mL (Calvert 1989); t1/2 2.6-5.9 h (Davis's Drug Guide, "
        "quoting the label)",
        half_life_h=4.0,
        auc_tau=83333.0,
    ),
    ec50_fraction=None,
    exposure_source=LINEAR_SOURCE,
)
PEMETREXED_PK = Pharmacokinetics(
    regimen="500 mg/m2 every 3 weeks intravenously: 900 mg at the typical 1.8 m2",
    standard_dose_mg=900.0,
    interval_h=504.0,
    half_life_h=3.5,
    volume_l=27.8,  # one compartment keeps the clearance (5.51 L/h) and t1/2: V = CL x t1/2 / ln 2
    absorption_per_h=None,
    source="ALIMTA label 12.3 (CL 91.8 mL/min and t1/2 3.5 h at CrCl 90 mL/min; Vss 16.1 L, a second compartment "
    "left out)",
    reference=Reference(
        source="Nakagawa 2006 Br J Cancer 95(6):677 (phase I, table 4, 500 mg/m2 = 783 mg: Cmax 115 ug/mL, AUC "
        "158 ug*h/mL; scaled to 900 mg, dose-proportional by the label: Cmax 132 ug/mL, AUC 182 ug*h/mL); "
        "t1/2 3.5 h (ALIMTA label 12.3)",
        half_life_h=3.5,
        cmax=132_200.0,
        auc_tau=181_600.0,
        misfit=(
            (
                "cmax",
                "a bolus into the one compartment that keeps the clearance and half-life (27.8 L) peaks at 32 ug/mL; "
                "the measured peak after a 10-minute infusion is that of a smaller central compartment",
            ),
        ),
    ),
    ec50_fraction=None,
    exposure_source=LINEAR_SOURCE,
)


# --- issue 17, the routes: drugs against the cascade mutations (003 §4.4) --------------------
DABRAFENIB_PK = Pharmacokinetics(
    regimen="150 mg twice daily",
    standard_dose_mg=150.0,
    interval_h=12.0,
    half_life_h=8.0,
    volume_l=74.0,  # Vss after IV 70.3 L / F 0.95
    absorption_per_h=1.5,  # a single dose peaks at ~2 h (tmax 2 h)
    source="TAFINLAR label 12.3 (as summarised by Drugs.com/Lexicomp: parent t1/2 8 h, tmax 2 h, Vd 70.3 L; "
    "F 95%, Davis's Drug Guide); V/F = Vd / F. Dabrafenib induces its own metabolism (concentrations fall "
    "over the first weeks): left out",
    reference=Reference(
        source="parent t1/2 8 h (TAFINLAR label 12.3, as above); no steady-state concentration seen in the pages "
        "reached (so none is checked)",
        half_life_h=8.0,
    ),
)
TRAMETINIB_PK = Pharmacokinetics(
    regimen="2 mg once daily",
    standard_dose_mg=2.0,
    interval_h=24.0,
    half_life_h=96.0,  # the effective t1/2 of ~4 days under daily dosing (Leonowens 2014: ~6-fold accumulation)
    volume_l=748.0,  # CL/F 5.4 L/h = 2 mg / AUC 370 ng*h/mL; V/F = CL/F x t1/2 / ln 2
    absorption_per_h=2.0,  # a single dose peaks at 1.5 h (median tmax 1.5 h)
    source="MEKINIST SmPC / Swiss Fachinformation 5.2 (2 mg daily: tmax 1.5 h, steady-state Cmax 22.2 ng/mL, "
    "AUC0-tau 370 ng*h/mL, trough 12.1 ng/mL, peak-to-trough 1.8); Leonowens 2014 Br J Clin Pharmacol 78:524 "
    "(F 72.3%, effective t1/2 ~4 days, ~6-fold accumulation; terminal t1/2 11 days after IV)",
    reference=Reference(
        source="MEKINIST SmPC 5.2: steady-state AUC0-tau 370 ng*h/mL and trough 12.1 ng/mL at 2 mg daily; effective "
        "t1/2 ~4 days, ~6-fold accumulation (Leonowens 2014)",
        half_life_h=96.0,
        cmin=12.1,
        auc_tau=370.0,
        accumulation=6.0,
    ),
)


DRUGS: dict[str, Drug] = {
    d.name: d
    for d in (
        # 1st-generation EGFR TKIs block the sensitising driver, also with C797S (which only
        # breaks covalent binding), and T790M only at concentrations far above the standard
        # exposure (T790M_AT_HIGH_CONCENTRATION: nil at the standard dose, 003 §1; Niederst 2015
        # Clin Cancer Res 21:3924; Chmielecki 2011).
        _drug(
            "gefitinib",
            "EGFR TKI, 1st generation",
            "003 §1; biology.md 'Drugs'; Niederst 2015",
            GEFITINIB_PK,
            egfr_sensitive=0.95,
            egfr_c797s=0.95,
            egfr_t790m=0.95,
            potency={"egfr_t790m": T790M_AT_HIGH_CONCENTRATION},
        ),
        _drug(
            "erlotinib",
            "EGFR TKI, 1st generation",
            "003 §1; biology.md 'Drugs'; Niederst 2015",
            ERLOTINIB_PK,
            egfr_sensitive=0.95,
            egfr_c797s=0.95,
            egfr_t790m=0.95,
            potency={"egfr_t790m": T790M_AT_HIGH_CONCENTRATION},
        ),
        # Afatinib is a 2nd-generation EGFR TKI and a pan-ErbB (HER2) inhibitor (003 §1, §4.2);
        # C797S without T790M stays sensitive to it (Niederst 2015). T790M: as the 1st generation
        # (assumption: inhibited in vitro, not at clinical doses, 003 §1; no ratio of its own found).
        _drug(
            "afatinib",
            "EGFR TKI, 2nd generation",
            "003 §1, §4.2; Niederst 2015",
            AFATINIB_PK,
            egfr_sensitive=0.95,
            egfr_c797s=0.95,
            egfr_t790m=0.95,
            potency={"egfr_t790m": T790M_AT_HIGH_CONCENTRATION},
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
        # --- issue 17: the other drugs the seeds name, after the first eight (a drug's place in the
        # table keys its dosing stream, so earlier drugs keep theirs). Strengths are assumptions,
        # the existing rows' values for the same kind of drug: no potencies are published to compare.
        # Dacomitinib: 2nd-generation irreversible pan-HER inhibitor (VIZIMPRO label 12.1: EGFR, HER2,
        # HER4), blocking as afatinib does: the driver and C797S alone, HER2 partly, not T790M at
        # clinical doses (003 §1).
        _drug(
            "dacomitinib",
            "EGFR TKI, 2nd generation",
            "VIZIMPRO label 12.1; as afatinib (003 §1, §4.2; Niederst 2015)",
            DACOMITINIB_PK,
            egfr_sensitive=0.95,
            egfr_c797s=0.95,
            egfr_t790m=0.95,
            potency={"egfr_t790m": T790M_AT_HIGH_CONCENTRATION},
            her2=0.5,
        ),
        # Lazertinib: 3rd-generation, mutant-selective (the driver and T790M, sparing wild-type EGFR:
        # Yun 2019 Clin Cancer Res, 25:2575 recalled), blocking as osimertinib does; C797S escapes it. No
        # HER2 inhibition is reported for it (assumption: none).
        _drug(
            "lazertinib",
            "EGFR TKI, 3rd generation",
            "Yun 2019 Clin Cancer Res (25:2575 recalled, not confirmed); LASER301 (Cho 2023 J Clin Oncol, doi "
            "10.1200/JCO.23.00515); as osimertinib",
            LAZERTINIB_PK,
            egfr_sensitive=0.97,
            egfr_t790m=0.97,
        ),
        # MET kinase inhibitors (approved for MET exon 14 skipping; given with EGFR TKIs against MET-driven
        # resistance), each as savolitinib: a standard dose nearly silences MET.
        _drug("capmatinib", "MET inhibitor", "TABRECTA label 12.1; as savolitinib", CAPMATINIB_PK, met=0.9),
        _drug("tepotinib", "MET inhibitor", "TEPMETKO label 12.1; as savolitinib", TEPOTINIB_PK, met=0.9),
        _drug(
            "crizotinib", "MET inhibitor (also ALK, ROS1)", "XALKORI label 12.1; as savolitinib", CRIZOTINIB_PK, met=0.9
        ),
        # AXL inhibitors, each as bemcentinib. ONO-7475 (AXL/MER) suppresses the AXL-mediated adaptive
        # resistance to EGFR TKIs (Okura 2020 Clin Cancer Res 26(9):2244); DS-1205 blocks resistance to
        # EGFR TKIs in xenografts (Jimbo 2019 Oncotarget 10:5152).
        _drug(
            "ono-7475",
            "AXL inhibitor (AXL/MER)",
            "Okura 2020 Clin Cancer Res 26:2244; as bemcentinib",
            ONO7475_PK,
            axl=0.9,
        ),
        # Sitravatinib is multi-kinase (TAM, VEGFR, KIT, MET): AXL as bemcentinib; MET ~13-fold less
        # potently (biochemical IC50 AXL 1.5 nM, MET 20 nM, seen in a vendor's table that names no source, not in
        # the abstract of Patwardhan 2016 Oncotarget 7:4093-4109, which shows the multi-kinase profile), so a
        # partial block (assumption).
        _drug(
            "sitravatinib",
            "multi-kinase inhibitor (AXL, MET)",
            "Patwardhan 2016 Oncotarget 7:4093 (multi-kinase profile; the IC50s from a vendor's table); as "
            "bemcentinib (AXL)",
            SITRAVATINIB_PK,
            axl=0.9,
            met=0.6,
        ),
        _drug("ds-1205c", "AXL inhibitor", "Jimbo 2019 Oncotarget 10:5152; as bemcentinib", DS1205C_PK, axl=0.9),
        # Amivantamab binds the extracellular domains of EGFR and MET (RYBREVANT SmPC 5.1), so it acts
        # on every EGFR allele whatever its kinase-domain mutation (it is active on exon 20 insertions,
        # which the TKIs miss: CHRYSALIS, Park 2021 J Clin Oncol, 39:3391 recalled), and on MET. Strength:
        # assumption, an antibody's partial block as trastuzumab's (0.8), weaker than a TKI's on its target.
        _drug(
            "amivantamab",
            "EGFR-MET bispecific antibody",
            "RYBREVANT SmPC 5.1; CHRYSALIS (Park 2021 J Clin Oncol; 39:3391 recalled, not confirmed); as trastuzumab "
            "(strength)",
            AMIVANTAMAB_PK,
            egfr_sensitive=0.8,
            egfr_t790m=0.8,
            egfr_c797s=0.8,
            egfr_t790m_c797s=0.8,
            met=0.8,
        ),
        # Platinum-pemetrexed chemotherapy (4 cycles, then pemetrexed maintenance): no route block; it
        # kills dividing cells whatever their routes, in proportion to the untreated tumour's growth
        # (``cytotoxic``: kill over net growth, Norton-Simon). Magnitudes: assumptions. Pemetrexed alone
        # slows a tumour but rarely shrinks one (2nd line: ORR 9.1%, median PFS 2.9 months, Hanna 2004 J
        # Clin Oncol 22(9):1589), so below 1: 0.5 halves its growth. Carboplatin: the pair must do to the
        # default tumour at diagnosis (10^10 cells) what it did when the kill was a share of divisions
        # (session 8, then 0.13 and 0.08): leave ~38% of its cells after 4 cycles (clone model: 2.0 leaves
        # 38%; 1.5, 55%; 2.5, 25%), about half lost and some partial responses, as platinum-pemetrexed
        # after gefitinib gave in about a third (IMPRESS, cisplatin-pemetrexed: median PFS 5.4 months in
        # both arms; the ORR of ~34% recalled, not confirmed; Soria 2015 Lancet Oncol 16(8):990).
        _drug(
            "carboplatin",
            "chemotherapy (platinum)",
            "assumption constrained by IMPRESS (Soria 2015 Lancet Oncol 16:990) with pemetrexed",
            CARBOPLATIN_PK,
            cytotoxic=2.0,
        ),
        _drug(
            "pemetrexed",
            "chemotherapy (antifolate)",
            "assumption constrained by Hanna 2004 J Clin Oncol 22:1589 (2nd-line pemetrexed alone)",
            PEMETREXED_PK,
            cytotoxic=0.5,
        ),
        # --- issue 17, the routes: after the nineteen above (earlier drugs keep their dosing streams).
        # Dabrafenib, a BRAF inhibitor, with the MEK inhibitor trametinib: the approved pair for BRAF
        # V600E NSCLC (TAFINLAR/MEKINIST labels 1), the drugs of 003 §4.4 against the RAS/RAF/MEK/ERK
        # cascade. A BRAF V600E cell keeps its EGFR route too (the bypass logic), so it is controlled by
        # both with an EGFR TKI. Strengths: assumptions; dabrafenib as the other kinase inhibitors on
        # their target (0.9); trametinib acts on the cascade below RAS and RAF, so on the BRAF route
        # (0.8) and barely on the KRAS route (0.1: mutant KRAS reactivates the cascade above MEK, and
        # a MEK inhibitor helps little against it; the selumetinib + docetaxel phase 3 was negative and
        # there are "few promising treatments for non-G12C KRAS", 003 §4.4). The EGFR signalling a MEK
        # inhibitor also dampens is left out (the receptor routes are the TKIs'). No drug here blocks
        # PIK3CA (003 §4.4: the PI3K inhibitors tried failed or are not yet tested in this setting).
        _drug(
            "dabrafenib",
            "BRAF inhibitor",
            "003 §3.6.1, §4.4; TAFINLAR label 12.1",
            DABRAFENIB_PK,
            braf=0.9,
        ),
        _drug(
            "trametinib",
            "MEK inhibitor",
            "003 §4.4; MEKINIST label 12.1",
            TRAMETINIB_PK,
            braf=0.8,
            kras=0.1,
        ),
    )
}
DRUG_NAMES: tuple[str, ...] = tuple(DRUGS)
# The (drug, route) pairs with a potency of their own: their exposures follow the drugs' in the
# rule tables' key (``abm.biology.rules.doses_key``), in this order.
POTENCY_SLOTS: tuple[tuple[str, Route], ...] = tuple((d.name, r) for d in DRUGS.values() for r in d.potency)


def potency_exposures(doses: dict[str, float]) -> tuple[float, ...]:
    """The exposure of each potency route (``POTENCY_SLOTS``) at relative doses read as relative
    concentrations (``pk = false``: a dose d held at steady state gives d x Css,avg)."""
    return tuple(DRUGS[name].route_exposure(route, float(doses.get(name, 0.0))) for name, route in POTENCY_SLOTS)


def route_blocks(doses: dict[str, float], potency: tuple[float, ...] | None = None) -> dict[Route, float]:
    """Fraction of each route blocked by a combination of drugs at the given relative doses (or
    exposures); a potency route takes its exposure from ``potency`` (default: ``potency_exposures``)."""
    if potency is None:
        potency = potency_exposures(doses)
    own = dict(zip(POTENCY_SLOTS, potency, strict=True))
    open_fraction = {route: 1.0 for route in Route}
    for name, dose in doses.items():
        drug = DRUGS[name]
        for route in drug.blocks:
            exposure = own[name, route] if route in drug.potency else dose
            open_fraction[route] *= 1.0 - drug.block(route, exposure)
    return {route: 1.0 - f for route, f in open_fraction.items()}


def cytotoxic_exposures(doses: dict[str, float]) -> tuple[tuple[float, float], ...]:
    """(cytotoxic strength, relative dose or exposure) of each cytotoxic drug given, in table order."""
    return tuple(
        (DRUGS[name].cytotoxic, dose) for name, dose in doses.items() if dose > 0.0 and DRUGS[name].cytotoxic > 0.0
    )
