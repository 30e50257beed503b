"""A trial's time-to-event data as a CDISC ADaM ADTTE-style table (``adtte.csv``).

Trial statisticians take time-to-event data in this shape: one row per subject and parameter
(PFS, PFS2), the time in ``AVAL`` and ``CNSR`` = 1 for a censored time, which survival
procedures in SAS (``PROC LIFETEST``: ``time AVAL*CNSR(1)``) and R (``Surv(AVAL, 1 - CNSR)``)
read directly. Variable names and the censoring convention follow the ADaM Basic Data Structure
for Time-to-Event Analyses (CDISC ADaM BDS-TTE); there are no calendar dates in a simulation,
so times are days from the start of treatment (``AVALU`` = DAYS), not ``ADT - STARTDT``.

Every arm treats the same virtual patients; in the table a patient on each arm is its own
subject (``USUBJID``, what a survival fit groups by), and ``SUBJID`` links the same patient
across arms. PFS2 rows are written only for arms that follow patients past a first progression
(as the summary's PFS2 hazard ratios): on the others PFS2 is not observed.
"""

from __future__ import annotations

import pandas as pd

from abm.experiments.trial_stats import has_second_line
from abm.io.schema import (
    ADTTE_TABLE,
    ARM,
    ARM_ADAM,
    AVAL,
    AVALU,
    CNSDTDSC,
    CNSR,
    EVNTDESC,
    PARAM,
    PARAMCD,
    PATIENT,
    PFS2_DAYS,
    PFS_DAYS,
    PROGRESSED,
    PROGRESSED2,
    STUDYID,
    SUBJID,
    USUBJID,
)

# PARAMCD -> (PARAM, days column, event column, event description)
PARAMETERS = {
    "PFS": ("Progression-free survival (days)", PFS_DAYS, PROGRESSED, "DISEASE PROGRESSION (RECIST 1.1)"),
    "PFS2": (
        "Progression-free survival 2: to progression on the next line (days)",
        PFS2_DAYS,
        PROGRESSED2,
        "SECOND DISEASE PROGRESSION (RECIST 1.1)",
    ),
}
CENSORED = "NO PROGRESSION BY THE END OF FOLLOW-UP"
CENSORING_DATE = "LAST DAY OF FOLLOW-UP"


def adtte(table: pd.DataFrame, study: str, arms: list[str]) -> pd.DataFrame:
    """The ADTTE rows of a trial's per-patient table (``patients.csv``), arm by arm, PFS then PFS2."""
    parts = []
    for number, arm in enumerate(arms, start=1):
        rows = table[table[ARM] == arm]
        for code, (words, days, event, described) in PARAMETERS.items():
            if code == "PFS2" and not has_second_line(rows):
                continue
            happened = rows[event].astype(bool).to_numpy()
            parts.append(
                pd.DataFrame(
                    {
                        STUDYID: study,
                        USUBJID: [f"A{number}-{p:04d}" for p in rows[PATIENT]],
                        SUBJID: rows[PATIENT].to_numpy(),
                        ARM_ADAM: arm,
                        PARAMCD: code,
                        PARAM: words,
                        AVAL: rows[days].to_numpy(),
                        AVALU: "DAYS",
                        CNSR: (~happened).astype(int),
                        EVNTDESC: [described if e else CENSORED for e in happened],
                        CNSDTDSC: ["" if e else CENSORING_DATE for e in happened],
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=ADTTE_TABLE.names())
    return pd.concat(parts, ignore_index=True)[ADTTE_TABLE.names()]
