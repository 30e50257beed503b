"""The compiled day of whole cohorts: every patient's tumour as cell counts per state.

A virtual patient's tumour is held as its cells in each of the ``N_STATES`` states (one row of
``counts``): cells in one state share every rate, so the clone model's lineages, which only
keep ancestry, merge without changing the process. Each day, for each living state, the
events of ``abm.biology.day.DAY`` in that order, drawn from the patient's own stream
(``abm.models.streams``) with the probabilities of ``abm.biology.rules`` (the patient's rule tables at its
current doses, ``hit_probability``, ``gompertz_position`` and ``crowding_at`` compiled from their one definition):

- death: each cell is hit (``hit_probability``) or not; a hit cell dies or is rescued as a
  persister by one of its routes;
- division: each cell not hit divides or not, a daughter being a mutant or not; mutants
  split by genotype;
- switch: each cell not hit (not its new daughter) keeps its state or switches;
- move: there is no space in a well-mixed tumour.

``advance`` runs each listed patient from its day to its stop day, or to the first day that
something the clinic watches happens (extinction, a readout crossing a threshold), and
leaves the clinic (``abm.models.cohort``) to act on that day. Patients never share draws, so a
patient's course does not depend on the patients beside it.
"""

from __future__ import annotations

import numba
import numpy as np

from abm.biology.day import DAY
from abm.biology.mechanisms import COUNT_COLUMNS
from abm.biology.rules import crowding_at, gompertz_position, hit_probability
from abm.clinic.readouts import DAILY_READOUTS
from abm.models.streams import binomial, njit_without_refcounts

# The order of the compiled day below; a change to abm.biology.day.DAY must change it too.
COMPILED_DAY = ("death", "division", "switch", "move")
assert DAY == COMPILED_DAY, "abm.biology.day.DAY changed: update abm.models.cohort_kernel"

_position = numba.njit(cache=True, error_model="numpy")(gompertz_position)
_crowding_at = numba.njit(cache=True, error_model="numpy")(crowding_at)
_hit = numba.njit(cache=True, error_model="numpy")(hit_probability)

# What a watch reads: the index of a readout in ``readouts.DAILY_READOUTS`` (the day, cells,
# cells over baseline, then each count column's share: code FRACTION + column).
DAY_NUMBER, BURDEN, BURDEN_FRACTION, FRACTION = 0, 1, 2, 3
assert ("day", "burden", "burden_fraction", *(f"fraction_{c}" for c in COUNT_COLUMNS)) == DAILY_READOUTS
# How it compares with its threshold.
ABOVE, BELOW, AT_LEAST = 0, 1, 2


@numba.njit(inline="always", cache=True, error_model="numpy")
def _split_rest(stream, n, probs, targets, p, s, bits, new, seen, order, n_seen):
    """``n`` cells over the outcomes ``probs[p, s]`` (summing to 1, the likeliest first, the
    impossible ones last): a chain of binomials, each outcome's cells added to ``new`` at its
    state ``targets[p, s, j] | bits``; the last possible outcome takes what is left (so rounding
    never loses a cell). Returns the updated ``n_seen``."""
    k = probs.shape[2]
    left = n
    remaining = 1.0
    for j in range(k):
        q = probs[p, s, j]
        if left <= 0 or q <= 0.0:
            break
        last = j == k - 1 or probs[p, s, j + 1] <= 0.0
        cells = left if last else binomial(stream, left, min(q / remaining, 1.0))
        if cells > 0:
            t = targets[p, s, j] | bits
            if not seen[t]:
                seen[t] = True
                order[n_seen] = t
                n_seen += 1
            new[t] += cells
            left -= cells
        remaining -= q
    return n_seen


@numba.njit(inline="always", cache=True, error_model="numpy")
def _readout(code, row, live, n_live, total, baseline, day, count_matrix):
    if code == BURDEN:
        return float(total)
    if code == BURDEN_FRACTION:
        return total / baseline if baseline > 0 else 0.0
    if code == DAY_NUMBER:
        return float(day)
    if total == 0:
        return 0.0
    column = code - FRACTION
    cells = 0
    for i in range(n_live):
        s = live[i]
        cells += count_matrix[column, s] * row[s]
    return cells / total


@numba.njit(inline="always", cache=True, error_model="numpy")
def _watched(p, row, live, n_live, total, baseline, day, watch_code, watch_test, watch_threshold, count_matrix):
    """Does any of patient p's watched conditions hold on today's counts?"""
    for w in range(watch_code.shape[1]):
        code = watch_code[p, w]
        if code < 0:
            return False
        value = _readout(code, row, live, n_live, total, baseline, day, count_matrix)
        test, threshold = watch_test[p, w], watch_threshold[p, w]
        if (test == ABOVE and value > threshold) or (test == BELOW and value < threshold):
            return True
        if test == AT_LEAST and value >= threshold:
            return True
    return False


def work_arrays(n_states: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``advance``'s scratch arrays, zeroed: tomorrow's cells per state, which states have cells
    tomorrow (or today), those states (the first n_seen entries), today's living states.
    ``advance`` leaves them as it found them at the end of every day."""
    return (
        np.zeros(n_states, dtype=np.int64),
        np.zeros(n_states, dtype=np.bool_),
        np.zeros(n_states, dtype=np.int64),
        np.zeros(n_states, dtype=np.int64),
    )


# ``_nrt=False``: no reference counting of arrays in the day loop. With it, every draw passed
# the patient's stream (an array) through counted references, atomic increments and
# decrements that took ~40% of the kernel's time (perf, first-line trial). So ``advance``
# allocates nothing (its scratch arrays are ``work_arrays``), and the functions it calls with
# arrays are inlined (``inline="always"``: ``_split_rest``, ``_watched``, ``streams.binomial``).
@njit_without_refcounts
def advance(
    patients,
    counts,
    streams,
    day,
    stop,
    nadir,
    stop_when_extinct,
    baseline,
    watch_code,
    watch_test,
    watch_threshold,
    count_matrix,
    tables,
    division_rate,
    death_rate,
    capacity,
    cycling,
    work,
):
    """Step each patient in ``patients`` from ``day[p]`` until ``stop[p]``, its extinction (if it
    stops there) or the first day one of its watches holds; ``day[p]`` is then that day.

    Per patient p: ``counts[p]`` cells per state (updated), ``streams[p]`` its stream, its rule
    tables (``tables``: ``cohort.PatientTables.arrays()``, per patient and state, the daughter
    moves per patient and ``rules.DAUGHTER_ROW``; the moves as ``RuleTables.likeliest_first``),
    its rates for ``crowding_loss``; ``nadir[p]`` the fewest cells seen (updated).
    ``work``: ``work_arrays(counts.shape[1])``.
    """
    division, death, cytotoxic, rescue_any, rescue_targets, rescue_probs, switch_any = tables[:7]
    switch_targets, switch_probs, mutate_any, daughter_targets, daughter_probs = tables[7:]
    n_states = counts.shape[1]
    plain_mask = daughter_probs.shape[1] // 2 - 1  # rules.DAUGHTER_ROW and FIELD_BITS, inline
    new, seen, order, live = work
    for p in patients:
        row, stream = counts[p], streams[p]
        total = 0
        n_live = 0
        for s in range(n_states):
            if row[s] > 0:
                live[n_live] = s
                n_live += 1
                total += row[s]
        d = day[p]
        while d < stop[p]:
            position = _position(float(total), capacity[p])
            crowd = _crowding_at(division_rate[p], death_rate[p], position)
            n_seen = n_live
            for i in range(n_live):
                order[i] = live[i]
                seen[live[i]] = True
            for i in range(n_live):
                s = live[i]
                n = row[s]
                # death: not hit, or hit and dies, or hit and rescued as a persister
                hit = _hit(death[p, s], crowd, cycling[s], cytotoxic[p, s], position)
                survivors = binomial(stream, n, 1.0 - hit) if hit < 1.0 else 0
                rescue = rescue_any[p, s]
                if survivors < n and rescue > 0.0:
                    rescued = binomial(stream, n - survivors, min(rescue / hit, 1.0))
                    n_seen = _split_rest(
                        stream, rescued, rescue_probs, rescue_targets, p, s, 0, new, seen, order, n_seen
                    )
                # division: survivors divide or not; a daughter is a mutant or not
                births = binomial(stream, survivors, division[p, s])
                mutate = mutate_any[p, s]
                if births > 0 and mutate > 0.0:
                    mutants = binomial(stream, births, mutate)
                    if mutants > 0:
                        # the daughter moves are on the plain states, without / with a switch
                        field = s & ~plain_mask
                        r = (s & plain_mask) + (plain_mask + 1 if field else 0)
                        n_seen = _split_rest(
                            stream, mutants, daughter_probs, daughter_targets, p, r, field, new, seen, order, n_seen
                        )
                        births -= mutants
                # switch: survivors keep their state or switch
                switch = switch_any[p, s]
                movers = binomial(stream, survivors, switch) if switch > 0.0 else 0
                if movers > 0:
                    n_seen = _split_rest(
                        stream, movers, switch_probs, switch_targets, p, s, 0, new, seen, order, n_seen
                    )
                new[s] += births + survivors - movers
            # Tomorrow's living states in increasing order, whatever order they were reached
            # in: a patient's draws then never depend on how its days were grouped into calls.
            total = 0
            n_live = 0
            if n_seen > n_states // 8:
                for s in range(n_states):
                    if seen[s]:
                        order[n_live] = s
                        n_live += 1
            else:
                n_live = n_seen
                for i in range(1, n_seen):  # insertion sort: a few states, most already in order
                    s, j = order[i], i
                    while j > 0 and order[j - 1] > s:
                        order[j] = order[j - 1]
                        j -= 1
                    order[j] = s
            n_seen, n_live = n_live, 0
            for i in range(n_seen):
                s = order[i]
                seen[s] = False
                row[s] = new[s]
                new[s] = 0
                if row[s] > 0:
                    live[n_live] = s
                    n_live += 1
                    total += row[s]
            d += 1
            if total < nadir[p]:
                nadir[p] = total
            if total == 0 and stop_when_extinct[p]:
                break
            watched = _watched(
                p, row, live, n_live, total, baseline[p], d, watch_code, watch_test, watch_threshold, count_matrix
            )
            if watched:
                break
        day[p] = d
