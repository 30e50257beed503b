"""The result files' columns, declared once: name, type, unit and meaning.

Every writer, reader and report names a column through the constants here (``PFS_DAYS``, not
``"pfs_days"``), and ``TABLES`` declares each file's columns in the order they are written.
A name in angle brackets stands for a group of columns the model decides (``<count column>``:
one per mechanism count; ``patient_<name>``: one per drawn characteristic); ``Table.names``
expands them. A JSON file's table lists its top-level keys; the records it holds in a list or
an object (validation rows, a calibration's generations and priors, a manifest's files) have a
table of their own, named by the file and the key. ``tests/test_schema.py`` checks that the
files the code writes have exactly these columns (keys), in this order, and that the docs' prose
names the same columns; the site's output reference (docs/scripts/gen_reference.py) is written
from these tables.

This module is the lowest layer (``abm.io``): it knows the names, not the biology, so the
groups are filled in by the callers (``abm.biology.mechanisms.COUNT_COLUMNS``, the drugs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# --- names used by code ----------------------------------------------------------------------
# run: timeseries.csv, states.csv, lineage.csv, clones.csv
DAY = "day"
TOTAL = "total"
CLONES = "clones"
CONCENTRATION_PREFIX = "concentration_"  # + a drug: its plasma concentration, ng/mL
CLONE = "clone"
CELLS = "cells"
PATIENT = "patient"
PARENT = "parent"
LINEAGE = "lineage"
STATE = "state"
MECHANISMS = "mechanisms"
FOUNDED_DAY = "founded_day"
COUNT = "count"
# trial: patients.csv
ARM = "arm"
PFS_DAYS = "pfs_days"
PROGRESSED = "progressed"
BEST_RESPONSE = "best_response"
RESPONDED = "responded"
MECHANISMS_AT_PROGRESSION = "mechanisms_at_progression"
MECHANISMS_AT_BASELINE = "mechanisms_at_baseline"
PFS2_DAYS = "pfs2_days"
PROGRESSED2 = "progressed2"
MECHANISMS_AT_PROGRESSION2 = "mechanisms_at_progression2"
BEST_RESPONSE2 = "best_response2"
RESPONDED2 = "responded2"
DAYS_SIMULATED = "days_simulated"
FINAL_CELLS = "final_cells"
NADIR_CELLS = "nadir_cells"
ERADICATED = "eradicated"
UNTREATED_DOUBLING_DAYS = "untreated_doubling_days"
PATIENT_PREFIX = "patient_"  # patient_<name>: a drawn characteristic
MECHANISM_SEPARATOR = ";"  # within mechanisms_at_* cells
# trial: adtte.csv (CDISC ADaM ADTTE variable names: upper case, as SAS and R's readers expect)
STUDYID = "STUDYID"
USUBJID = "USUBJID"
SUBJID = "SUBJID"
ARM_ADAM = "ARM"
PARAMCD = "PARAMCD"
PARAM = "PARAM"
AVAL = "AVAL"
AVALU = "AVALU"
CNSR = "CNSR"
EVNTDESC = "EVNTDESC"
CNSDTDSC = "CNSDTDSC"
# trial: posterior.csv
DRAW = "draw"
METRIC = "metric"
VALUE = "value"
# sweep: runs.parquet, design.parquet, series.parquet
RUN = "run"
POINT = "point"
REPLICATE = "replicate"
SEED = "seed"
STATUS = "status"
ERROR = "error"
SECONDS = "seconds"
UNIT_PREFIX = "unit."  # unit.<name>: a sampled point's position in [0, 1]
# calibration: posterior.csv
PARTICLE = "particle"
WEIGHT = "weight"
# trial summary.json, per arm (and abm.experiments.trial_stats.arm_summary)
PATIENTS = "patients"
MEDIAN_PFS_DAYS = "median_pfs_days"
MEDIAN_PFS_CI = "median_pfs_ci"
ORR = "orr"
PRIMARY_RESISTANCE = "primary_resistance"
MEDIAN_PFS2_DAYS = "median_pfs2_days"
MEDIAN_PFS2_CI = "median_pfs2_ci"
ORR2 = "orr2"
ORR2_BY_FINDING = "orr2_by_finding"
# trial summary.json, top level (TRIAL, SEED, POSTERIOR below), and each of its hazard ratios
ARMS = "arms"
HAZARD_RATIOS = "hazard_ratios"
HAZARD_RATIOS_PFS2 = "hazard_ratios_pfs2"
CALIBRATION = "calibration"
REFERENCE = "reference"
HR = "hr"
# validate: validation.json, and its rows (abm.experiments.validation, abm.experiments.posterior)
TRIAL = "trial"
DISH = "dish"
TARGETS = "targets"
CHECKS = "checks"
KEY = "key"
KIND = "kind"
SETTING = "setting"
MECHANISM = "mechanism"
LOW = "low"
HIGH = "high"
UNIT = "unit"
SOURCE = "source"
SIMULATED = "simulated"
CI = "ci"
PASSED = "pass"
POSTERIOR = "posterior"
POSTERIOR_MEDIAN = "posterior_median"
POSTERIOR_PASS = "posterior_pass"
# calibration: calibration.json (its priors: KEY -> DISTRIBUTION, LOW, HIGH, SOURCE)
FORMAT_KEY = "format"  # not FORMAT: the readers' FORMAT is the layout's number
PRIORS = "priors"
DISTRIBUTION = "distribution"
# calibration report: identifiability.csv
PRIOR_LOW = "prior_low"
PRIOR_HIGH = "prior_high"
PRIOR_WIDTH_95 = "prior_width_95"
POSTERIOR_2_5 = "posterior_2.5"
POSTERIOR_50 = "posterior_50"
POSTERIOR_97_5 = "posterior_97.5"
POSTERIOR_WIDTH_95 = "posterior_width_95"
WIDTH_RATIO = "width_ratio"
VERDICT = "verdict"
SCALE = "scale"
# every result folder: manifest.json
FILES = "files"
ABM = "abm"
BYTES = "bytes"
SHA256 = "sha256"


@dataclass(frozen=True)
class Column:
    """One column (or, with a name in angle brackets, a group of columns) of a result file."""

    name: str
    dtype: str  # int, float, bool, str (as pandas reads it back)
    unit: str  # "" when it has none
    meaning: str
    only: str = ""  # when only some runs have it ("clone runs")

    @property
    def group(self) -> str | None:
        """The group's placeholder (``<drug>``), or None for a single column."""
        start = self.name.find("<")
        return self.name[start:] if start >= 0 else None


@dataclass(frozen=True)
class Table:
    """A result file: which command writes it and its columns, in order (for JSON, its keys)."""

    file: str
    written_by: str
    columns: tuple[Column, ...]

    def names(self, groups: Mapping[str, Sequence[str]] | None = None, only: Sequence[str] = ()) -> list[str]:
        """The column names, each group expanded from ``groups`` (placeholder -> names); columns
        with an ``only`` condition are kept when it is in ``only``."""
        names: list[str] = []
        for column in self.columns:
            if column.only and column.only not in only:
                continue
            placeholder = column.group
            if placeholder is None:
                names.append(column.name)
            else:
                prefix = column.name.removesuffix(placeholder)
                names += [prefix + name for name in (groups or {}).get(placeholder, ())]
        return names

    def __getitem__(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _table(file: str, written_by: str, rows: str) -> Table:
    """A Table from rows ``name | dtype | unit | meaning | only`` (the last two optional)."""
    columns = []
    for row in rows.strip().splitlines():
        name, dtype, unit, meaning, *only = (cell.strip() for cell in row.split("|"))
        columns.append(Column(name, dtype, unit, meaning, *only))
    return Table(file, written_by, tuple(columns))


TIMESERIES = _table(
    "timeseries.csv",
    "abm run",
    f"""
    {DAY} | int | days | days since the start; counts at the start of that day, doses given during it
    {TOTAL} | int | cells | tumour cells
    <count column> | int | cells | cells with that mechanism (sensitive: none, no persisters; one driver switch at most)
    <drug> | float | relative dose | prescribed dose that day (1.0 = standard), before missed doses and pharmacokinetics
    {CLONES} | int | clones | living clones | clone runs
    {CONCENTRATION_PREFIX}<drug> | float | ng/mL | mean plasma level from the doses taken; acts only with pk = true
""",
)
STATES = _table(
    "states.csv",
    "abm run",
    f"""
    {DAY} | int | days | days since the start
    <state> | int | cells | cells in each state ever occupied, named by its mechanisms
""",
)
LINEAGE_TABLE = _table(
    "lineage.csv",
    "abm run (clone)",
    f"""
    {PATIENT} | int |  | the tumour's patient (0 for a run)
    {CLONE} | int |  | the clone's id
    {PARENT} | int |  | the clone it arose from; empty for founders
    {LINEAGE} | int |  | the founder clone's lineage
    {STATE} | int |  | the clone's state (bit mask of abm/biology/mechanisms.py)
    {MECHANISMS} | str |  | the state, named by its mechanisms
    {FOUNDED_DAY} | int | days | the day the clone arose
    {COUNT} | int | cells | cells at the end
""",
)
CLONE_COUNTS = _table(
    "clones.csv",
    "abm run (clone)",
    f"""
    {DAY} | int | days | days since the start
    {CLONE} | int |  | a living clone's id
    {CELLS} | int | cells | its cells that day
""",
)
RUN_SUMMARY = _table(
    "summary.json",
    "abm run",
    f"""
    scenario | str |  | the scenario's name
    description | str |  | the scenario's description
    {SEED} | int |  | the run's seed
    {DAYS_SIMULATED} | int |  | days run
    kind | str |  | spatial or clone
    initial | dict |  | total and count columns on day 0
    final | dict |  | total and count columns on the last day
    fraction_alive | float |  | final / initial cells
    nadir | dict |  | day and total of the fewest cells
    extinct | bool |  | no cell left
    regrowth | dict |  | what the tumour regrew by after its nadir (column shares of the cells gained), or null
    timing | dict |  | wall-clock seconds and rates
    model | dict |  | the model settings
    parameters | dict |  | every parameter
    schedule | list |  | the dosing blocks
    versions | dict |  | abm, mesa, numpy, python
""",
)
PATIENTS_TABLE = _table(
    "patients.csv",
    "abm trial",
    f"""
    {ARM} | str |  | arm name
    {PATIENT} | int |  | patient index (the same patient on every arm)
    {PFS_DAYS} | int | days | day of first progression, or end of follow-up
    {PROGRESSED} | bool |  | the patient progressed during follow-up
    {BEST_RESPONSE} | str |  | CR, PR, SD or PD (PD: progression at the first scan)
    {RESPONDED} | bool |  | CR or PR
    {MECHANISMS_AT_PROGRESSION} | str |  | what a rebiopsy finds at the first progression, ;-separated
    {MECHANISMS_AT_BASELINE} | str |  | what a diagnostic biopsy finds on day 0
    {PFS2_DAYS} | int | days | day of second progression, or end of follow-up
    {PROGRESSED2} | bool |  | the patient progressed a second time
    {MECHANISMS_AT_PROGRESSION2} | str |  | what a rebiopsy finds at the second progression
    {BEST_RESPONSE2} | str |  | second line: best response from the first progression scan, its baseline (NE: no scan)
    {RESPONDED2} | bool |  | second line: CR or PR
    {DAYS_SIMULATED} | int | days | how long the patient was followed
    {FINAL_CELLS} | int | cells | cells at the end of follow-up
    {NADIR_CELLS} | int | cells | fewest cells seen
    {ERADICATED} | bool |  | the fewest cells seen is 0
    {UNTREATED_DOUBLING_DAYS} | float | days | untreated doubling time at day-0 size, same on every arm (inf: no growth)
    {PATIENT_PREFIX}<name> | float |  | each drawn characteristic
""",
)
ADTTE_TABLE = _table(
    "adtte.csv",
    "abm trial",
    f"""
    {STUDYID} | str |  | the trial's name
    {USUBJID} | str |  | unique subject: arm number (from 1, in the file's order) and patient, e.g. A2-0007
    {SUBJID} | int |  | the virtual patient (patients.csv patient): the same patient on every arm
    {ARM_ADAM} | str |  | arm name
    {PARAMCD} | str |  | PFS, or PFS2 (on arms that treat past a first progression)
    {PARAM} | str |  | what PARAMCD measures, in words
    {AVAL} | int | days | days from the start of treatment to the event or to censoring
    {AVALU} | str |  | AVAL's unit: DAYS
    {CNSR} | int |  | 1 = censored (no event by the end of follow-up), 0 = event (RECIST progression)
    {EVNTDESC} | str |  | the event, or why the time is censored
    {CNSDTDSC} | str |  | for a censored time, what its date is; empty for an event
""",
)
ARM_SUMMARY = _table(
    "summary.json (per arm)",
    "abm trial",
    f"""
    {PATIENTS} | int | patients | patients on the arm
    {PROGRESSED} | int | patients | patients who progressed
    {MEDIAN_PFS_DAYS} | float | days | Kaplan-Meier median PFS (null: not reached)
    {MEDIAN_PFS_CI} | list | days | its 95% confidence interval
    {ORR} | float | share | objective response rate
    {PRIMARY_RESISTANCE} | float | share | progressed within 183 days without responding
    {MECHANISMS_AT_PROGRESSION} | dict | share | share of progressed patients with each mechanism found
    {MEDIAN_PFS2_DAYS} | float | days | Kaplan-Meier median PFS2
    {MEDIAN_PFS2_CI} | list | days | its 95% confidence interval
    {ORR2} | float | share | second-line objective response rate, among patients with a second-line scan (null: none)
    {ORR2_BY_FINDING} | dict |  | per mechanism found at the first progression: {{patients, orr}} of the second line
""",
)
TRIAL_SUMMARY = _table(
    "summary.json",
    "abm trial",
    f"""
    {TRIAL} | str |  | the trial's name
    {SEED} | int |  | its root seed
    {ARMS} | dict |  | per arm, its figures (ARM_SUMMARY)
    {HAZARD_RATIOS} | list |  | each arm but the first against the first (HAZARD_RATIO)
    {HAZARD_RATIOS_PFS2} | list |  | the same for PFS2, between arms that both have a second line
    {CALIBRATION} | dict |  | the calibration folder and the point applied | --calibration or --posterior
    {POSTERIOR} | dict |  | the draws, their seed and parameters; per arm each metric's median [interval] | --posterior
""",
)
HAZARD_RATIO = _table(
    "summary.json (hazard_ratios)",
    "abm trial",
    f"""
    {ARM} | str |  | the arm
    {REFERENCE} | str |  | the arm it is compared with (the first)
    {HR} | float |  | Cox hazard ratio for PFS; null when not estimable
    {CI} | list |  | its 95% confidence interval
""",
)
TRIAL_POSTERIOR = _table(
    "posterior.csv",
    "abm trial --posterior",
    f"""
    {DRAW} | int |  | the posterior draw
    {ARM} | str |  | arm name
    {METRIC} | str |  | median_pfs_days, hazard_ratio, progressed_share or at_progression.<mechanism>
    {VALUE} | float |  | its value under that draw
""",
)
SWEEP_RUNS = _table(
    "runs.parquet",
    "abm sweep",
    f"""
    {RUN} | int |  | run number: point x replicates + replicate
    {POINT} | int |  | design point, from 0
    {REPLICATE} | int |  | replicate within the point, from 0
    {SEED} | int |  | the run's seed (< 2^63): model.seed of a scenario, trial.seed of a trial
    <setting> | any |  | one column per varied setting, named as in [vary]
    <metric> | float |  | one column per metric (and a censored day's event: regrew, progressed); NaN: failed or absent
    {STATUS} | str |  | done or failed
    {ERROR} | str |  | the exception and where it was raised; empty when done
    {SECONDS} | float | s | wall time of the run in its worker
""",
)
SWEEP_DESIGN = _table(
    "design.parquet",
    "abm sweep",
    f"""
    {POINT} | int |  | design point, from 0
    <setting> | any |  | the varied values
    {UNIT_PREFIX}<setting> | float |  | sampled designs: the point's position in [0, 1]
""",
)
CALIBRATION_POSTERIOR = _table(
    "posterior.csv",
    "abm calibrate",
    f"""
    {PARTICLE} | int |  | the particle of the last generation
    {WEIGHT} | float |  | its importance weight
    <key> | float |  | one column per fitted quantity (a parameter or cohort.NAME.FIELD)
""",
)
SENSITIVITY = _table(
    "sensitivity.csv",
    "abm sensitivity",
    f"""
    method | str |  | morris or sobol
    {METRIC} | str |  | the metric
    parameter | str |  | the varied setting
    mu_star | float |  | Morris mu*
    mu_star_conf | float |  | its confidence interval
    sigma | float |  | Morris sigma
    S1 | float |  | Sobol first-order index
    S1_conf | float |  | its confidence interval
    ST | float |  | Sobol total-order index
    ST_conf | float |  | its confidence interval
""",
)

# each run's timeseries.csv, its columns reordered (abm.experiments.sweep.runner.series_table)
SWEEP_SERIES = Table(
    "series.parquet",
    "abm sweep (series = true)",
    (
        Column(RUN, "int", "", "the run, as in runs.parquet"),
        *(TIMESERIES[name] for name in (DAY, "<count column>", TOTAL, "<drug>", CLONES)),
    ),
)
SWEEP_DESCRIPTION = _table(
    "sweep.json",
    "abm sweep",
    f"""
    name | str |  | the sweep's name
    base | str |  | the scenario or trial file, as the sweep file names it
    design | str |  | the design's method
    parameters | list |  | the varied names, as in [vary]
    metrics | list |  | the metrics kept
    replicates | int |  | runs per point
    {SEED} | int |  | the root seed
    {KIND} | str |  | spatial, clone or trial
    description | str |  | the sweep's description
    design_options | dict |  | the design's other settings (samples, levels, ...)
    seeds | str |  | common or independent
    series | bool |  | daily series kept
    points | int |  | design points
    runs | int |  | points x replicates
    set | dict |  | the fixed overrides of [set]
    vary | dict |  | each varied setting as the file gives it, with its axis label in words (label)
    fingerprint | str |  | a hash of what decides the results: a resumed sweep must match it
""",
)
VALIDATION_TABLE = _table(
    "validation.json",
    "abm validate --out",
    f"""
    {TRIAL} | str |  | the validation trial's name
    {PATIENTS} | int | patients | patients per arm
    {SEED} | int |  | the trial's root seed
    {DISH} | bool |  | the PC-9 dishes were run (false with --no-dish)
    {TARGETS} | list |  | the judged rows, the trial's then the dishes' (VALIDATION_ROW)
    {CHECKS} | list |  | the rows with no reviewed range, never judged (VALIDATION_ROW)
""",
)
VALIDATION_ROW = _table(
    "validation.json (targets, checks)",
    "abm validate --out",
    f"""
    {KEY} | str |  | the target's short name (what the calibration names it by)
    {KIND} | str |  | target or check
    {SETTING} | str |  | where it is measured (first-line gefitinib/erlotinib, untreated, a PC-9 dish, ...)
    {MECHANISM} | str |  | what is measured
    {LOW} | float |  | the reviewed range's lower end; null for a check
    {HIGH} | float |  | its upper end; null for a check or an open range
    {UNIT} | str |  | share, months, days or fold
    {SOURCE} | str |  | where the range comes from
    {SIMULATED} | float |  | the simulated value; null when undefined (a median not reached)
    {CI} | list |  | its 95% confidence interval; nulls for a dish (a mean over seeds)
    {PATIENTS} | int | patients | patients it was measured on; null for a dish
    {PASSED} | bool |  | the value lies in the range; null for a check
    {POSTERIOR} | list |  | the 2.5-97.5% interval of the value over posterior draws | --posterior
    {POSTERIOR_MEDIAN} | float |  | its median over the draws | --posterior
    {POSTERIOR_PASS} | float | share | share of the draws within the range | --posterior
""",
)
CALIBRATION_TABLE = _table(
    "calibration.json",
    "abm calibrate",
    f"""
    {FORMAT_KEY} | int |  | 1: the layout's version
    method | str |  | the inference method, in words
    preset | str |  | small, full or custom
    {SEED} | int |  | the root seed
    {PRIORS} | dict |  | per fitted key, its prior (CALIBRATION_PRIOR)
    {POINT} | dict |  | per fitted key, the weighted posterior median: what abm trial --calibration applies
    generations | list |  | one record per accepted generation (CALIBRATION_GENERATION)
    patients_per_arm | int | patients | patients per arm of one particle's trial
    workers | int |  | worker processes of the last call
    wall_seconds | float | s | wall time of the last call
    {TARGETS} | list |  | the trial targets fitted, by key
    stopped | str |  | why the run stopped
""",
)
CALIBRATION_PRIOR = _table(
    "calibration.json (priors)",
    "abm calibrate",
    f"""
    {DISTRIBUTION} | str |  | uniform or loguniform
    {LOW} | float |  | lower bound
    {HIGH} | float |  | upper bound
    {SOURCE} | str |  | the source or assumption behind the range
""",
)
CALIBRATION_GENERATION = _table(
    "calibration.json (generations)",
    "abm calibrate",
    """
    t | int |  | the generation, from 0
    epsilon | float |  | its acceptance threshold on the distance
    particles | int |  | particles accepted
    evaluations | int |  | candidates evaluated
    acceptance_rate | float | share | particles / evaluations
    effective_sample_size | float | particles | Kish's effective sample size of the weights
""",
)
IDENTIFIABILITY = _table(
    "identifiability.csv",
    "abm report (a calibration folder), into DIR/report/",
    f"""
    {KEY} | str |  | the fitted quantity
    {DISTRIBUTION} | str |  | its prior: uniform or loguniform
    {PRIOR_LOW} | float |  | the prior's lower bound
    {PRIOR_HIGH} | float |  | the prior's upper bound
    {PRIOR_WIDTH_95} | float |  | the prior's central 95% width, on its scale (log10 for loguniform)
    {POSTERIOR_2_5} | float |  | weighted posterior 2.5% quantile
    {POSTERIOR_50} | float |  | weighted posterior median
    {POSTERIOR_97_5} | float |  | weighted posterior 97.5% quantile
    {POSTERIOR_WIDTH_95} | float |  | the posterior's 95% width, on the prior's scale
    {WIDTH_RATIO} | float |  | posterior / prior 95% width
    {VERDICT} | str |  | identified (ratio < 0.5), weakly (< 0.8) or prior
    {SCALE} | str |  | log10 (a loguniform prior) or linear
""",
)
MANIFEST_TABLE = _table(
    "manifest.json",
    "abm run, abm trial, abm validate --out",
    f"""
    {KIND} | str |  | the kind of result: run, trial, validation or sweep
    {FILES} | dict |  | per file written, its size and hash (MANIFEST_ENTRY)
    {ABM} | str |  | the abm version that wrote it
""",
)
MANIFEST_ENTRY = _table(
    "manifest.json (files)",
    "abm run, abm trial, abm validate --out",
    f"""
    {BYTES} | int | bytes | the file's size
    {SHA256} | str |  | its SHA-256, hex
""",
)

OPTIMISE_TRIALS = _table(
    "trials.csv",
    "abm optimise",
    """
    trial | int |  | trial number, from 0, in the order proposed
    state | str |  | complete or fail (Optuna's trial state)
    <setting> | any |  | one column per free setting, named as in [vary]
    objective.<objective> | float |  | each objective's value; an infeasible trial's is a placeholder
    feasible | bool |  | complete and every constraint holds
    status | str |  | done (simulated), infeasible (not simulated) or failed
    error | str |  | why a candidate failed; empty otherwise
    planned_exposure_<arm drug> | float | dose-days | the calendar's dose-days of each drug of the arm
    median_pfs_days | float | days | on the search cohort; follow-up when not reached
    mean_pfs_days | float | days | restricted mean PFS over follow-up, search cohort
    median_pfs2_days | float | days | as median_pfs_days, for PFS2
    mean_pfs2_days | float | days | as mean_pfs_days, for PFS2
    hazard_ratio | float |  | Cox hazard ratio for PFS against the reference arm, search cohort
""",
)
OPTIMISE_REEVALUATION = _table(
    "reevaluation.csv",
    "abm optimise",
    """
    arm | str |  | reference: NAME, or trial N (its settings)
    trial | float |  | the trial re-evaluated (empty for the reference)
    <setting> | any |  | one column per free setting (empty for the reference)
    median_pfs_days | float | days | Kaplan-Meier median PFS on the fresh cohort (empty: not reached)
    median_pfs_low | float | days | its 95% CI, lower end
    median_pfs_high | float | days | its 95% CI, upper end
    mean_pfs_days | float | days | restricted mean PFS over follow-up
    mean_pfs_low | float | days | its 95% CI (normal approximation), lower end
    mean_pfs_high | float | days | upper end
    hazard_ratio | float |  | Cox hazard ratio for PFS against the reference (empty for it)
    hazard_ratio_low | float |  | its 95% CI, lower end
    hazard_ratio_high | float |  | upper end
""",
)

# Every result table.
TABLES: tuple[Table, ...] = (
    *(TIMESERIES, STATES, LINEAGE_TABLE, CLONE_COUNTS, RUN_SUMMARY),
    *(PATIENTS_TABLE, ADTTE_TABLE, TRIAL_SUMMARY, ARM_SUMMARY, HAZARD_RATIO, TRIAL_POSTERIOR),
    *(SWEEP_RUNS, SWEEP_DESIGN, SWEEP_SERIES, SWEEP_DESCRIPTION, SENSITIVITY),
    *(VALIDATION_TABLE, VALIDATION_ROW),
    *(CALIBRATION_POSTERIOR, CALIBRATION_TABLE, CALIBRATION_PRIOR, CALIBRATION_GENERATION, IDENTIFIABILITY),
    *(MANIFEST_TABLE, MANIFEST_ENTRY),
    *(OPTIMISE_TRIALS, OPTIMISE_REEVALUATION),
)
