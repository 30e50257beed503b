"""Clinical readouts from cell counts: tumour size on imaging and RECIST-style response.

Size: the sum of target-lesion diameters scales as N^(1/3) (a sphere's diameter grows with
the cube root of its volume, and cell number is proportional to volume); 10^9 cells are
taken as about 1 cm^3, a 12.4 mm sphere (assumption: the standard ~10^9 cells per cm^3).

RECIST 1.1 on the sum of diameters: response is >= 30% shrinkage from baseline; progression
is >= 20% growth over the nadir (the smallest sum so far, baseline included) and >= 5 mm in
absolute terms. Imaging happens at visits; nothing between visits is seen.

The residual lesion (``residual_fraction``): a scan also measures what stays of a lesion whose
tumour cells are gone (stroma, fibrosis, necrosis), a share of the tumour cells at the baseline of
the current line of therapy. At a progression the next line is measured afresh: its baseline (and
nadir) is the progression scan's cells with their own residue, not with the first line's. Clinically
a new line's baseline picks its target lesions among the measurable, growing ones (RECIST 1.1 at a
new baseline), and the first line's scar (a share of the tumour at diagnosis, a year or more earlier)
is not what the next line can shrink (assumption).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DAYS_PER_MONTH = 30.4375  # 365.25 / 12: months as trials report PFS

CELLS_PER_CM3 = 1e9  # assumption: ~10^9 tumour cells per cm^3
MM_PER_CM3_SPHERE = 12.407  # diameter in mm of a 1 cm^3 sphere: (6/pi)^(1/3) * 10
RESPONSE_SHRINKAGE = 0.30  # RECIST 1.1 partial response
PROGRESSION_GROWTH = 0.20  # RECIST 1.1 progressive disease, relative to nadir
PROGRESSION_MIN_MM = 5.0  # RECIST 1.1: and at least 5 mm absolute increase


def sum_of_diameters(cells: float) -> float:
    """Sum of lesion diameters in mm for a tumour of ``cells`` cells (N^(1/3) scaling)."""
    return MM_PER_CM3_SPHERE * (max(cells, 0.0) / CELLS_PER_CM3) ** (1.0 / 3.0)


@dataclass
class Recist:
    """RECIST assessment over successive imaging visits of one patient.

    After a progression the nadir restarts from the progression scan, so a later line of
    therapy can progress again (PFS2). Best response is that of the first line; a later line's
    (``line_response``) is judged as a trial of that line judges it: from the progression scan
    that started it, its baseline (the line's drugs start that day: a schedule's progression
    trigger fires at the scan).
    """

    residual_fraction: float = 0.0  # the residual lesion, a share of the cells at the line's baseline
    baseline_mm: float | None = None
    nadir_mm: float | None = None
    best_change: float = 0.0  # smallest relative change from baseline before first progression
    progression_days: list[int] = field(default_factory=list)
    visits: list[tuple[int, float]] = field(default_factory=list)
    # per line of therapy: its baseline scan (index into visits) and its best relative change
    line_baselines: list[int] = field(default_factory=list)
    line_best_changes: list[float] = field(default_factory=list)
    line_baseline_mm: list[float] = field(default_factory=list)  # each line's baseline, its own residue
    line_cells: float = 0.0  # tumour cells at the current line's baseline scan

    def scan(self, day: int, cells: float) -> bool:
        """Record a visit of a tumour of ``cells`` cells (plus the residual lesion); True when this
        visit shows progression."""
        if self.baseline_mm is None or self.nadir_mm is None:
            self.line_cells = cells
        mm = sum_of_diameters(cells + self.residual_fraction * self.line_cells)
        self.visits.append((day, mm))
        if self.baseline_mm is None or self.nadir_mm is None:
            self.baseline_mm = self.nadir_mm = mm
            self._start_line(mm)
            return False
        progressed = mm >= self.nadir_mm * (1 + PROGRESSION_GROWTH) and mm - self.nadir_mm >= PROGRESSION_MIN_MM
        if not self.progression_days and self.baseline_mm > 0:
            self.best_change = min(self.best_change, mm / self.baseline_mm - 1.0)
        line_baseline = self.line_baseline_mm[-1]
        if line_baseline > 0:
            self.line_best_changes[-1] = min(self.line_best_changes[-1], mm / line_baseline - 1.0)
        if progressed:
            self.progression_days.append(day)
            # the next line of therapy is judged from here, its lesion measured with its own residue
            self.line_cells = cells
            self.nadir_mm = sum_of_diameters(cells + self.residual_fraction * cells)
            self._start_line(self.nadir_mm)
        else:
            self.nadir_mm = min(self.nadir_mm, mm)
        return progressed

    def _start_line(self, mm: float) -> None:
        """The last visit is the baseline of a new line of therapy, measuring ``mm`` for it."""
        self.line_baselines.append(len(self.visits) - 1)
        self.line_best_changes.append(0.0)
        self.line_baseline_mm.append(mm)

    def line_response(self, line: int) -> str:
        """Best response of line ``line`` (0: the first) from its own baseline scan: CR, PR, SD,
        PD (progression at its first scan), or NE (the line never started, or no scan after its
        baseline)."""
        if line >= len(self.line_baselines) or self.line_baselines[line] + 1 >= len(self.visits):
            return "NE"
        return _response(
            self.line_best_changes[line],
            self.progression_days[line] if line < len(self.progression_days) else None,
            self.visits[self.line_baselines[line] + 1][0],
        )

    @property
    def progression_day(self) -> int | None:
        """Day of the first progression, None while there is none."""
        return self.progression_days[0] if self.progression_days else None

    @property
    def progressed(self) -> bool:
        """Progression seen at some visit."""
        return bool(self.progression_days)

    @property
    def best_response(self) -> str:
        """CR (nothing measurable), PR (>= 30% shrinkage), PD (progression at the first scan), or SD."""
        if self.baseline_mm is None:
            return "NE"
        first_visit_after_baseline = self.visits[1][0] if len(self.visits) > 1 else None
        return _response(self.best_change, self.progression_day, first_visit_after_baseline)

    @property
    def responded(self) -> bool:
        """Objective response (CR or PR)."""
        return self.best_response in ("CR", "PR")


def _response(best_change: float, progression_day: int | None, first_scan_day: int | None) -> str:
    """CR, PR, PD (progression at the first scan after baseline) or SD from a line's best change."""
    if best_change <= -1.0 + 1e-12:
        return "CR"
    if best_change <= -RESPONSE_SHRINKAGE:
        return "PR"
    if progression_day is not None and progression_day == first_scan_day:
        return "PD"
    return "SD"
