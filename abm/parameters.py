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


FITTED = "fitted by `abm calibrate` (calibration/fitted.json, seed 0) to the targets of biology.md"


def fitted(constraint: str) -> str:
    """The source of a fitted parameter: the calibration, and the reviewed range that binds it most."""
    return f"{FITTED}; mainly constrained by {constraint}"


def param(default: float, kind: str, source: str, doc: str) -> Any:
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

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    # --- growth and drug kill of non-persister cells -------------------------------------
    division_rate: float = param(
        0.0493,
        "probability",
        fitted("median PFS 12-24 months on first-line TKIs (003 §1)"),
        "Division probability per day of an uncontrolled cell; scaled by (1 - control).",
    )
    death_rate: float = param(
        0.0117,
        "probability",
        fitted("median PFS 12-24 months (003 §1)"),
        "Death probability per day of an uncontrolled cell.",
    )
    death_rate_controlled: float = param(
        0.0964,
        "probability",
        fitted("responses then progression after 1-2 years (003 §1); primary resistance 4-10% (003 §1)"),
        "Death probability per day of a cell whose every route is blocked (control = 1).",
    )
    # --- drug-tolerant persisters (003 §5.2) ---------------------------------------------
    persister_entry_fraction: float = param(
        0.02,
        "fraction",
        "003 §5.2: 0.3-5% of cells survive early TKI exposure as drug-tolerant persisters",
        "Share of drug-killed cells that enter the persister state instead of dying (scaled down by AXL block).",
    )
    persister_reversion_rate: float = param(
        0.01,
        "probability",
        "003 §5.2 (DTPs are reversible) and biology.md 'Cell states' (reverts off drug); assumption for the value",
        "Probability per day that a persister reverts; scaled by (1 - control), so it happens off drug.",
    )
    persister_division_rate: float = param(
        0.005,
        "probability",
        "003 §5.2: DTPs are slow-cycling; assumption for the value",
        "Division probability per day of a persister, on or off drug.",
    )
    persister_death_rate: float = param(
        0.005,
        "probability",
        "003 §5.2: DTPs survive TKI; assumption for the value",
        "Death probability per day of a persister without an AXL inhibitor.",
    )
    # --- AXL upregulation (003 §3.3, §5.2; 000 'EMT') ------------------------------------
    axl_induction_rate: float = param(
        9.6e-07,
        "probability",
        fitted("AXL upregulated in 10-30% of 1st-gen TKI resistance (~20%, 003 §3.3.2)"),
        "Probability per day that a non-persister cell upregulates AXL; scaled by its EGFR-route block.",
    )
    axl_induction_rate_persister: float = param(
        0.000383,
        "probability",
        fitted("AXL upregulated in 10-30% of 1st-gen TKI resistance (003 §3.3.2); DTPs show AXL up (003 §5.2)"),
        "Probability per day that a persister upregulates AXL; scaled by its EGFR-route block.",
    )
    axl_reversion_rate: float = param(
        0.0172,
        "probability",
        fitted(
            "AXL upregulated in 10-30% of 1st-gen TKI resistance (003 §3.3.2); reversible because "
            "transcriptional (003 §3.3.1)"
        ),
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
    # --- MET amplification (003 §3.1.2, §5.2) --------------------------------------------
    met_amplified_initial_fraction: float = param(
        1e-3,
        "fraction",
        "003 §5.2 (Turke): MET-amplified cells are <1% of a tumour before EGFR TKI",
        "Fraction of initial cells that are MET-amplified.",
    )
    met_amplification_rate: float = param(
        6.34e-11,
        "per_division",
        fitted("MET amplification in 5-22% after 1st-gen, 10-20% after osimertinib (003 §3.1.2)"),
        "Probability per division that a daughter acquires MET amplification.",
    )
    # --- on-target EGFR mutations (003 §1; 000 'DNA damage and DDR') ---------------------
    t790m_initial_fraction: float = param(
        1e-4,
        "fraction",
        "biology.md 'Cell states': T790M is pre-existing or acquired; assumption for the value",
        "Fraction of initial cells carrying EGFR T790M.",
    )
    t790m_mutation_rate: float = param(
        2.12e-10,
        "per_division",
        fitted("T790M in 50-70% of 1st-gen resistance (~60%, 003 §1), at most 5% after osimertinib"),
        "Probability per division that a daughter acquires T790M (before mutability factors).",
    )
    c797s_mutation_rate: float = param(
        2.08e-10,
        "per_division",
        fitted("C797S beside MET amplification in ~7% of osimertinib resistance (003 §3.1.2)"),
        "Probability per division that a daughter acquires C797S (before mutability factors).",
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
    her2_amplified_initial_fraction: float = param(
        0.0,
        "fraction",
        "003 §3.5: 1% of untreated patients; assumption: none at cell level by default",
        "Fraction of initial cells that are HER2-amplified.",
    )
    her2_amplification_rate: float = param(
        1e-10,
        "per_division",
        "003 §3.5: a minor route (~12% after 1st-gen TKI, 2-3% after osimertinib); not a calibration target: "
        "assumption, set with the MET amplification rate's order of magnitude (HER2 at progression ~4% after "
        "gefitinib, ~10% after osimertinib in the validation cohort, 1000 patients)",
        "Probability per division that a daughter acquires HER2 amplification.",
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
        0.731,
        "fraction",
        fitted("AXL upregulated in 10-30% of 1st-gen TKI resistance (003 §3.3.2)"),
        "Share of full survival signalling the AXL route carries when it is the only open route.",
    )
    met_bypass_capacity: float = param(
        0.973,
        "fraction",
        fitted("MET amplification in 5-22% / 10-20% of resistance (003 §3.1.2)"),
        "Share of full survival signalling the MET route carries when it is the only open route.",
    )
    her2_bypass_capacity: float = param(
        1.0,
        "fraction",
        "003 §3.5: HER2 amplification keeps AKT and ERK on when EGFR is inhibited; 1 = full rescue",
        "Share of full survival signalling the HER2 route carries when it is the only open route.",
    )
    # --- what an AXL inhibitor does beyond blocking the AXL route (003 §5.2) -------------
    axl_persister_entry_dependence: float = param(
        0.8,
        "fraction",
        "003 §5.2 (Taniguchi): osimertinib + AXL inhibitor prevents DTP formation",
        "Share of persister entry that needs AXL; entry is scaled by (1 - this x AXL block).",
    )
    axl_inhibitor_persister_death_rate: float = param(
        0.1,
        "probability",
        "003 §5.2 (Taniguchi): AXL inhibition removes DTPs; assumption for the value",
        "Extra death probability per day of a persister at full AXL block.",
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
