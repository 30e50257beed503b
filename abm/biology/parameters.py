"""The parameter set: every rate and frequency of the biology, typed, bounded and cited.

One step of every model is one day, so rates are probabilities per day (or per division for
mutations). Each default names its source: a seed file and section where the seeds give the
number, or 'assumption' with what constrains it where they do not. Scenario files override
any of them under ``[parameters]``; ``abm run --set NAME=VALUE`` overrides them again.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Allowed-value phrases, used in the one-line error messages.
KINDS = {
    "probability": ("probability per day, 0 to 1", 0.0, 1.0),
    "per_division": ("probability per division, 0 to 1", 0.0, 1.0),
    "fraction": ("fraction, 0 to 1", 0.0, 1.0),
    "factor": ("multiplier, at least 1", 1.0, None),
}


FITTED = (
    "the weighted posterior median of `abm calibrate --preset full` (calibration/posterior/, seed 0, issue 14), "
    "ABC-SMC against the targets of `abm validate`"
)


def fitted(constraint: str) -> str:
    """The source of a fitted parameter: the calibration, and the reviewed range that binds it most."""
    return f"{FITTED}; mainly constrained by {constraint}"


def param(default: float | None, kind: str, source: str, doc: str) -> Any:
    """A bounded, documented, cited parameter field."""
    allowed, low, high = KINDS[kind]
    return Field(
        default,
        ge=low,
        le=high,
        strict=True,  # a typed file's `true` or "0.1" is a mistake, not a rate (an int is a number)
        allow_inf_nan=False,
        description=doc,
        json_schema_extra={"kind": kind, "allowed": allowed, "source": source},
    )


class Parameters(BaseModel):
    """Rates of the biology (biology.md). Frozen and hashable: models cache rule tables on it."""

    # defer_build: the validator is built at the first validation, so `abm parameters` (which
    # only reads the fields) starts without building it or loading pydantic's plugins.
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, defer_build=True)

    # --- cell kinetics of non-persister cells --------------------------------------------
    # Untreated, with crowding to the plateau: a 10^10-cell tumour doubles in ~130 days (reported
    # 100-400, median ~190) with a cell-loss factor (cells lost / cells produced) of ~0.94
    # (biology.md 'Dynamics'; abm.biology.kinetics.untreated_growth).
    division_rate: float = param(
        0.0941,
        "probability",
        "assumption constrained by the untreated volume doubling time (median ~190 days, Mackintosh 2014 "
        "Respirology 19:755) and the cell-loss factor (>70%, >=90% in two thirds, Br J Cancer 1984;50:343): "
        "division = net growth / (1 - cell-loss factor) at the carrying_capacity_factor; "
        + fitted("PFS 1-2 years (003 §1), the cohort's doubling time and primary resistance"),
        "Division probability per day of an uncontrolled sensitive cell; scaled by its fitness and (1 - control).",
    )
    death_rate: float = param(
        0.0002,
        "probability",
        "assumption: cell loss comes almost all from crowding (rules.crowding_loss: Gompertzian, to the carrying "
        "capacity, carrying_capacity_factor x the cells at diagnosis); then a 10^10-cell tumour grows with a "
        "volume doubling time of ~100-200 days "
        "(Mackintosh 2014) at a cell-loss factor of ~0.9 (Br J Cancer 1984;50:343), and cells regrowing after a "
        "response grow ~3-4x faster (post-nadir regrowth, Nishino 2016; flare on TKI withdrawal, Chaft 2011)",
        "Cell-loss probability per day of an untreated cycling cell in an uncrowded tumour; crowding adds to it.",
    )
    carrying_capacity_factor: float = param(
        3.67,
        "factor",
        "assumption: tumours are found late in their Gompertzian growth (Norton 1988 Cancer Res 48:7067), "
        "so each tumour's plateau is a small multiple of its size at diagnosis; with the division rate it sets "
        "both the doubling time at diagnosis (~190 d, Mackintosh 2014) and the ~5x faster regrowth after a "
        "response (Nishino 2016; Chaft 2011): with a plateau fixed across tumours the two cannot both hold "
        "with PFS of 1-2 years (issue 14 exploration, d.5); " + fitted("PFS and the doubling time together"),
        "A clone tumour's Gompertzian plateau (carrying capacity) as a multiple of its cells at diagnosis, "
        "unless the scenario or trial sets the capacity itself.",
    )
    drug_kill_rate: float = param(
        0.015,
        "probability",
        "assumption constrained by the volumetric response to 1st-gen TKIs: volume falls over months, nadir at a "
        "median 6.3 months, then regrowth at ~0.1 ln-volume per month (Nishino 2016 Acad Radiol 23:329); under "
        "control division stops, so cell loss and this kill shrink the tumour together",
        "Extra death probability per day of a cell whose every route is blocked (scaled by control).",
    )
    # --- fitness costs of resistance (division-rate multipliers 1 - cost, on or off drug) -----
    t790m_fitness_cost: float = param(
        0.03,
        "fraction",
        "Chmielecki 2011 Sci Transl Med 3:90ra59: T790M cells grow more slowly than sensitive cells off drug; "
        "assumption for the value (a 3% lower division rate roughly halves net growth at a cell-loss factor of 0.9)",
        "Share of the division rate a T790M cell loses.",
    )
    c797s_fitness_cost: float = param(
        0.02,
        "fraction",
        "assumption: an EGFR kinase-domain mutation with no reported growth advantage; smaller than T790M's",
        "Share of the division rate a C797S cell loses.",
    )
    met_fitness_cost: float = param(
        0.0,
        "fraction",
        "assumption: MET-amplified cells are <1% of untreated tumours (003 §5.2, Turke), so they are not fitter",
        "Share of the division rate a MET-amplified cell loses.",
    )
    her2_fitness_cost: float = param(
        0.02,
        "fraction",
        "assumption: HER2 amplification is rare untreated (1%, 003 §3.5), so it is not fitter",
        "Share of the division rate a HER2-amplified cell loses.",
    )
    axl_high_fitness_cost: float = param(
        0.05,
        "fraction",
        "000 'EMT': AXL-high cells are mesenchymal, migratory and slower-cycling; assumption for the value",
        "Share of the division rate an AXL-high cell loses.",
    )
    igf1r_fitness_cost: float = param(
        0.02,
        "fraction",
        "assumption: IGF-1R activation is a stress response, not a growth advantage off drug (003 §3.4)",
        "Share of the division rate an IGF-1R-active cell loses.",
    )
    # --- drug-tolerant persisters (003 §5.2) ---------------------------------------------
    persister_entry_fraction: float = param(
        0.02,
        "fraction",
        "003 §5.2: 0.3-5% of cells survive early TKI exposure as drug-tolerant persisters",
        "Share of drug-killed cells that survive as persisters instead of dying (less when their route is blocked).",
    )
    persister_axl_share: float = param(
        0.8,
        "fraction",
        "003 §5.2: osimertinib DTPs are AXL-high (Taniguchi) and osimertinib + AXL inhibitor prevents most; "
        "AXL-low DTPs survive through IGF-1R (Wang); assumption for the value (an AXL inhibitor lowers DTPs ~3-5-fold)",
        "Share of persister entry that goes through AXL (AXL-high persisters); the rest goes through IGF-1R.",
    )
    persister_reversion_rate: float = param(
        0.01,
        "probability",
        "003 §5.2 (DTPs are reversible) and biology.md 'Cell states' (reverts off drug); assumption for the value",
        "Probability per day that a persister reverts; scaled by (1 - EGFR-route block), so it happens off drug.",
    )
    persister_division_rate: float = param(
        0.004,
        "probability",
        "003 §5.2: DTPs are slow-cycling; assumption for the value (below persister_death_rate: a slowly "
        "shrinking pool under drug, half-life about a year)",
        "Division probability per day of a persister, on or off drug.",
    )
    persister_death_rate: float = param(
        0.006,
        "probability",
        "003 §5.2: DTPs survive TKI; assumption for the value",
        "Death probability per day of a persister whose survival route (AXL or IGF-1R) is free.",
    )
    persister_kill_rate: float = param(
        0.05,
        "probability",
        "003 §5.2: AXL inhibition removes AXL-high DTPs (Taniguchi), IGF-1R inhibition AXL-low ones (Wang); "
        "assumption for the value",
        "Extra death probability per day of a persister whose survival routes are fully blocked.",
    )
    # --- chemotherapy tolerance of the drug-tolerant states ---------------------------------
    chemotherapy_tolerance: float = param(
        0.9,
        "fraction",
        "Sharma 2010 Cell 141:69: the drug-tolerant subpopulation that survives cytotoxic as well as targeted "
        "drugs has >100-fold reduced drug sensitivity and depends on IGF-1R signalling (IGF-1R inhibition ablates "
        "it); 000 Table 1: AXL expression higher in tumours responding poorly to carboplatin-based chemotherapy, "
        "and AXL inhibition restores carboplatin sensitivity (000, DNA-damage repair); assumption for the value "
        "(most of a cycle's kill escaped)",
        "Share of the chemotherapy kill an AXL-high or IGF-1R-active cell escapes, times the share of its AXL or "
        "IGF-1R signalling the drugs leave open (blocking the route restores the kill).",
    )
    # --- AXL upregulation (003 §3.3, §5.2; 000 'EMT') ------------------------------------
    axl_induction_rate: float = param(
        1e-6,
        "probability",
        "003 §3.3.2: AXL upregulated in ~20% of 1st-gen TKI resistance; assumption for the value (to be re-fitted)",
        "Probability per day that a non-persister cell upregulates AXL; scaled by its EGFR-route block.",
    )
    axl_induction_rate_persister: float = param(
        0.0004,
        "probability",
        "003 §5.2: DTPs show AXL up (Taniguchi); assumption for the value (to be re-fitted)",
        "Probability per day that a persister upregulates AXL; scaled by its EGFR-route block.",
    )
    axl_reversion_rate: float = param(
        0.0172,
        "probability",
        "003 §3.3.1: AXL upregulation is transcriptional, so reversible; assumption for the value",
        "Probability per day that an AXL-high cell returns to AXL-low; scaled by (1 - EGFR-route block).",
    )
    axl_high_initial_fraction: float = param(
        0.0,
        "fraction",
        "000 (AXL with EGFR/HER3 confers intrinsic resistance to osimertinib); 003 §1 (4-10% primary resistance)",
        "Fraction of initial cells that are AXL-high (intrinsically mesenchymal); none by default.",
    )
    axl_high_motility: float = param(
        0.1,
        "probability",
        "000 'EMT': AXL drives EMT, a mesenchymal, motile phenotype; assumption for the value",
        "Probability per day that an AXL-high cell moves to an empty neighbouring site (spatial model).",
    )
    # --- IGF-1R activation (003 §3.4, §5.2) ----------------------------------------------
    igf1r_induction_rate: float = param(
        2e-7,
        "probability",
        "003 §3.4: IGF-1R activation (loss of IGFBP3/4) mediates resistance to 1st/2nd-gen TKIs and "
        "osimertinib in preclinical models; no clinical frequency given: assumption (a minor route)",
        "Probability per day that a cell activates IGF-1R; scaled by its EGFR-route block.",
    )
    igf1r_reversion_rate: float = param(
        0.02,
        "probability",
        "003 §3.4: activation by loss of binding-protein expression, not mutation: reversible; assumption",
        "Probability per day that an IGF-1R-active cell returns to baseline; scaled by (1 - EGFR-route block).",
    )
    igf1r_bypass_capacity: float = param(
        0.97,
        "fraction",
        "003 §3.4: IGF-1R keeps PI3K/AKT on when EGFR is inhibited; assumption for the value (like AXL's)",
        "Share of full survival signalling the IGF-1R route carries when it is the only open route.",
    )
    # --- pre-existing subclones: None = from the tumour's own growth to its size (abm.history) ---
    met_amplified_initial_fraction: float | None = param(
        None,
        "fraction",
        "003 §5.2 (Turke): MET-amplified cells are <1% of a tumour before EGFR TKI; None: from the tumour's history",
        "Fraction of initial cells that are MET-amplified; None draws it from the tumour's growth to its size.",
    )
    met_amplification_rate: float = param(
        2e-7,
        "per_division",
        "assumption (to be re-fitted): MET amplification in 5-22% after 1st-gen, 10-20% after osimertinib "
        "(003 §3.1.2); <1% of cells before treatment (003 §5.2)",
        "Probability per division that a daughter acquires MET amplification.",
    )
    # --- on-target EGFR mutations (003 §1; 000 'DNA damage and DDR') ---------------------
    t790m_initial_fraction: float | None = param(
        None,
        "fraction",
        "biology.md 'Cell states': T790M is pre-existing or acquired; None: from the tumour's history",
        "Fraction of initial cells carrying EGFR T790M; None draws it from the tumour's growth to its size.",
    )
    t790m_mutation_rate: float = param(
        1e-6,
        "per_division",
        "assumption (to be re-fitted): T790M in 50-70% of 1st-gen resistance (~60%, 003 §1)",
        "Probability per division that a daughter acquires T790M (before mutability factors).",
    )
    c797s_initial_fraction: float | None = param(
        None,
        "fraction",
        "C797S is a point mutation like T790M; None: from the tumour's history",
        "Fraction of initial cells carrying EGFR C797S (without T790M); None draws it from the tumour's history.",
    )
    c797s_mutation_rate: float = param(
        1e-7,
        "per_division",
        "assumption (to be re-fitted): C797S at first-line osimertinib progression ~7%, 7-15% across series "
        "(Ramalingam, ESMO 2018)",
        "Probability per division that a daughter acquires C797S (before mutability factors).",
    )
    c797s_cis_share: float = param(
        0.85,
        "fraction",
        "Niederst 2015 Clin Cancer Res 21:3924 (allelic context decides TKI response); most T790M+C797S "
        "double mutants after osimertinib are in cis; assumption for the value",
        "Share of cells gaining the second of T790M and C797S that carry both on one allele (cis).",
    )
    axl_mutability_factor: float = param(
        10.0,
        "factor",
        "000 'DNA damage and DDR': AXL -> MYC/purine imbalance and RAD18 error-prone synthesis raise mutability",
        "Point-mutation rate multiplier in AXL-high cells, undone by AXL block.",
    )
    persister_mutability_factor: float = param(
        10.0,
        "factor",
        "000 'DNA damage and DDR' and 003 §5.2: DTPs acquire permanent resistance; AXL-driven",
        "Point-mutation rate multiplier in persisters, undone by AXL block.",
    )
    # --- HER2 amplification (003 §3.5) ---------------------------------------------------
    her2_amplified_initial_fraction: float | None = param(
        None,
        "fraction",
        "003 §3.5: 1% of untreated patients; None: from the tumour's history",
        "Fraction of initial cells that are HER2-amplified; None draws it from the tumour's history.",
    )
    her2_amplification_rate: float = param(
        5e-8,
        "per_division",
        "003 §3.5: a minor route (~12% after 1st-gen TKI, 2-3% after osimertinib); assumption (to be re-fitted)",
        "Probability per division that a daughter acquires HER2 amplification.",
    )
    # --- driver switches (issue 17; mechanisms.DRIVER_SWITCHES): at most one per cell --------
    # Rates are assumptions, each constrained by its share at progression (003 §3.6 for the cascade;
    # the validation CHECKS rows): with no fitness cost and a whole route of its own, a switch found
    # at progression is almost always a subclone grown before diagnosis, so its share follows the
    # chance that a tumour of ~10^10 cells holds one (about rate x cells at diagnosis).
    egfr_amplified_initial_fraction: float | None = param(
        None,
        "fraction",
        "003 §3.2; None: from the tumour's history",
        "Fraction of initial cells that are EGFR-amplified; None draws it from the tumour's history.",
    )
    egfr_amplification_rate: float = param(
        3e-11,
        "per_division",
        "assumption: the seeds give no share of EGFR amplification in EGFR-TKI resistance (003 §3.2: 13% after "
        "MET inhibitors); kept at the level of the minor cascade routes (~2% at progression)",
        "Probability per division that a daughter (carrying no driver switch) acquires EGFR amplification.",
    )
    egfr_amplification_escape: float = param(
        0.95,
        "fraction",
        "003 §3.2 (EGFR activation mediates resistance: more receptor than the drug blocks); assumption for the "
        "value, constrained by EGFR amplification being a resistance to the TKI it arises on: a subclone must grow "
        "through the crowding loss of a responding tumour, which needs less than ~20% of its signalling blocked",
        "Share of every EGFR-route block (TKI or antibody) that an EGFR-amplified cell escapes.",
    )
    met_exon14_initial_fraction: float | None = param(
        None,
        "fraction",
        "003 §3.1.3; None: from the tumour's history",
        "Fraction of initial cells with MET exon 14 skipping; None draws it from the tumour's history.",
    )
    met_exon14_rate: float = param(
        1e-11,
        "per_division",
        "assumption: 003 §3.1.3 gives MET exon 14 skipping as a primary driver (3-4% of NSCLC) that does not "
        "coexist with EGFR mutations, and no share in EGFR-TKI resistance: the rarest route here (~1%)",
        "Probability per division that a daughter (carrying no driver switch) acquires MET exon 14 skipping.",
    )
    kras_mutant_initial_fraction: float | None = param(
        None,
        "fraction",
        "003 §3.6.1; None: from the tumour's history",
        "Fraction of initial cells carrying a KRAS mutation; None draws it from the tumour's history.",
    )
    kras_mutation_rate: float = param(
        3e-11,
        "per_division",
        "assumption: 003 §3.6.1 reports KRAS G12S/G12D/G13D/Q61R in osimertinib resistance without a share; "
        "taken a little below BRAF V600E's (~2%)",
        "Probability per division that a daughter (carrying no driver switch) acquires a KRAS mutation.",
    )
    braf_v600e_initial_fraction: float | None = param(
        None,
        "fraction",
        "003 §3.6.1; None: from the tumour's history",
        "Fraction of initial cells carrying BRAF V600E; None draws it from the tumour's history.",
    )
    braf_v600e_mutation_rate: float = param(
        3e-11,
        "per_division",
        "assumption constrained by BRAF V600E in ~3% of osimertinib resistance (003 §3.6.1; biology.md)",
        "Probability per division that a daughter (carrying no driver switch) acquires BRAF V600E.",
    )
    pik3ca_mutant_initial_fraction: float | None = param(
        None,
        "fraction",
        "003 §3.6.2; None: from the tumour's history",
        "Fraction of initial cells carrying a PIK3CA mutation; None draws it from the tumour's history.",
    )
    pik3ca_mutation_rate: float = param(
        6e-11,
        "per_division",
        "assumption constrained by PIK3CA mutations in 4-11% of osimertinib resistance (003 §3.6.2; biology.md) "
        "and 2-11% of TKI resistance (003 §4.4)",
        "Probability per division that a daughter (carrying no driver switch) acquires a PIK3CA mutation.",
    )
    egfr_tki_insensitivity: float = param(
        0.0,
        "fraction",
        "003 §1: 4-10% of patients show primary resistance, 'may be due to other non-sensitive mutations "
        "in the target gene'; none by default, varied across the validation cohort",
        "Share of every EGFR TKI's block of the EGFR routes that this tumour's EGFR allele escapes.",
    )
    # --- how much survival signalling a bypass route carries alone (003 §2, §3) --------
    axl_bypass_capacity: float = param(
        0.919,
        "fraction",
        fitted(
            "AXL-high in 10-30% of 1st-gen TKI resistance (003 §3.3.2): AXL-high cells grow on a TKI in some "
            "tumours only (the cohort spreads it, sd 0.05)"
        ),
        "Share of full survival signalling the AXL route carries when it is the only open route.",
    )
    met_bypass_capacity: float = param(
        0.99,
        "fraction",
        "003 §3.1.2: MET amplification in 5-22% / 10-20% of resistance: MET-amplified cells grow on EGFR TKIs; "
        "assumption for the value (to be re-fitted)",
        "Share of full survival signalling the MET route carries when it is the only open route.",
    )
    her2_bypass_capacity: float = param(
        1.0,
        "fraction",
        "003 §3.5: HER2 amplification keeps AKT and ERK on when EGFR is inhibited; 1 = full rescue",
        "Share of full survival signalling the HER2 route carries when it is the only open route.",
    )

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """One row per parameter: name, default, allowed range, source, meaning."""
        rows = []
        for name, field in cls.model_fields.items():
            extra = field.json_schema_extra or {}
            rows.append(
                {
                    "name": name,
                    "default": field.default,
                    "allowed": extra["allowed"],
                    "source": extra["source"],
                    "meaning": field.description,
                }
            )
        return rows
