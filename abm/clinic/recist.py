"""Clinical readouts from cell counts: tumour size on imaging and RECIST-style response.

Size: the sum of target-lesion diameters scales as N^(1/3) (a sphere's diameter grows with
the cube root of its volume, and cell number is proportional to volume); 10^9 cells are
taken as about 1 cm^3, a 12.4 mm sphere (assumption: the standard ~10^9 cells per cm^3).

RECIST 1.1 on the sum of diameters: response is >= 30% shrinkage from baseline; progression
is >= 20% growth over the nadir (the smallest sum so far, baseline included) and >= 5 mm in
absolute terms. Imaging happens at visits; nothing between visits is seen.
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
    therapy can progress again (PFS2). Best response is that of the first line.
    """

    baseline_mm: float | None = None
    nadir_mm: float | None = None
    best_change: float = 0.0  # smallest relative change from baseline before first progression
    progression_days: list[int] = field(default_factory=list)
    visits: list[tuple[int, float]] = field(default_factory=list)

    def scan(self, day: int, cells: float) -> bool:
        """Record a visit; True when this visit shows progression."""
        mm = sum_of_diameters(cells)
        self.visits.append((day, mm))
        if self.baseline_mm is None or self.nadir_mm is None:
            self.baseline_mm = self.nadir_mm = mm
            return False
        progressed = mm >= self.nadir_mm * (1 + PROGRESSION_GROWTH) and mm - self.nadir_mm >= PROGRESSION_MIN_MM
        if not self.progression_days and self.baseline_mm > 0:
            self.best_change = min(self.best_change, mm / self.baseline_mm - 1.0)
        if progressed:
            self.progression_days.append(day)
            self.nadir_mm = mm  # the next line of therapy is judged from here
        else:
            self.nadir_mm = min(self.nadir_mm, mm)
        return progressed

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
        if self.best_change <= -1.0 + 1e-12:
            return "CR"
        if self.best_change <= -RESPONSE_SHRINKAGE:
            return "PR"
        first_visit_after_baseline = self.visits[1][0] if len(self.visits) > 1 else None
        if self.progression_day is not None and self.progression_day == first_visit_after_baseline:
            return "PD"
        return "SD"

    @property
    def responded(self) -> bool:
        """Objective response (CR or PR)."""
        return self.best_response in ("CR", "PR")
