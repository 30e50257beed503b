"""Whole cohorts of virtual patients, stepped by the compiled kernel, each under its own clinic.

``run_cohort`` takes one ``Course`` (schedule, scans, stopping rule) and one seed per patient.
Each patient's tumour is founded from its stream (``abm.biology.founding``: the sensitive bulk and the
pre-existing subclones of its history), then stepped by ``abm.models.cohort_kernel.advance`` and
observed by its course only on the days the clinic acts (``Course.next_look``: scans, dose
changes by the calendar, the days a watched readout crosses a threshold, the end of
follow-up). Doses and so rule tables stay fixed in between, so skipping the other days changes
nothing a patient gets. Patients never wait for each other: each runs to its own next look.

This is the engine of virtual trials and sweeps over them. ``abm.models.clone.CloneTumour`` (a Mesa
model with one agent per clone and the clones' ancestry) remains the model of single tumours
and the browser view; the two are the same process (``tests/test_cohort.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from abm.biology.founding import founding_counts
from abm.biology.mechanisms import N_STATES
from abm.biology.rules import (
    CYCLING,
    DAUGHTER_ROWS,
    MUTATION_TARGETS,
    RESCUE_TARGETS,
    SWITCH_TARGETS,
    RuleTables,
)
from abm.clinic.readouts import DAILY_READOUTS
from abm.models.cohort_kernel import ABOVE, AT_LEAST, BELOW, advance, work_arrays
from abm.models.course import COUNT_MATRIX, Course
from abm.models.streams import STATE_WORDS, stream_state

READOUT_CODES = {name: code for code, name in enumerate(DAILY_READOUTS)}  # as cohort_kernel reads them
TESTS = {">": ABOVE, "<": BELOW, ">=": AT_LEAST}


class PatientTables:
    """Each patient's current rule tables as (patients, states, ...) arrays, for drawing a whole
    cohort's day at once (the kernel here, ``CloneTumour``'s numpy draws); the moves are
    ``RuleTables.likeliest_first``."""

    def __init__(self, n: int) -> None:
        self.current: list[RuleTables | None] = [None] * n
        self.moves: list[tuple | None] = [None] * n  # patient p's moves as last copied in
        self.division, self.death, self.cytotoxic, self.rescue_any, self.switch_any, self.mutate_any = (
            np.zeros((n, N_STATES)) for _ in range(6)
        )
        self.rescue_targets = np.zeros((n, N_STATES, RESCUE_TARGETS), dtype=np.int64)
        self.rescue_probs = np.zeros((n, N_STATES, RESCUE_TARGETS))
        self.switch_targets = np.zeros((n, N_STATES, SWITCH_TARGETS), dtype=np.int64)
        self.switch_probs = np.zeros((n, N_STATES, SWITCH_TARGETS))
        # per patient and ``rules.DAUGHTER_ROW`` (a state's targets or'ed with ``rules.FIELD_BITS``)
        self.daughter_targets = np.zeros((n, DAUGHTER_ROWS, MUTATION_TARGETS), dtype=np.int64)
        self.daughter_probs = np.zeros((n, DAUGHTER_ROWS, MUTATION_TARGETS))

    def update(self, p: int, tables: RuleTables | None) -> None:
        """Patient p's arrays from ``tables``, when they are not already those (None: a tumour
        that stands still, every probability 0)."""
        if tables is self.current[p]:
            return
        self.current[p] = tables
        if tables is None:
            for array in (self.division, self.death, self.cytotoxic, self.rescue_any, self.switch_any, self.mutate_any):
                array[p] = 0.0
            return
        self.division[p], self.death[p], self.cytotoxic[p] = tables.division, tables.death, tables.cytotoxic
        self.rescue_any[p], self.switch_any[p], self.mutate_any[p] = (
            tables.rescue_any,
            tables.switch_any,
            tables.mutate_any,
        )
        moves = (
            (self.rescue_targets, self.rescue_probs),
            (self.switch_targets, self.switch_probs),
            (self.daughter_targets, self.daughter_probs),
        )
        last = self.moves[p] or (None,) * len(moves)
        for pair, before, (into_targets, into_probs) in zip(tables.likeliest_first, last, moves, strict=True):
            if pair is not before:  # tables at other doses share the daughters' moves: copied once
                into_targets[p], into_probs[p] = pair
        self.moves[p] = tables.likeliest_first

    def arrays(self) -> tuple[np.ndarray, ...]:
        """In the order ``advance`` takes them."""
        return (
            self.division,
            self.death,
            self.cytotoxic,
            self.rescue_any,
            self.rescue_targets,
            self.rescue_probs,
            self.switch_any,
            self.switch_targets,
            self.switch_probs,
            self.mutate_any,
            self.daughter_targets,
            self.daughter_probs,
        )


def found_tumours(courses: Sequence[Course], seeds: Sequence[np.random.SeedSequence]) -> tuple[np.ndarray, np.ndarray]:
    """Each patient's founding cells per state and its stream, as it stands after founding.

    A patient's stream is numpy's SFC64 seeded with its seed: founding draws from it first,
    then the kernel continues the same stream."""
    counts = np.zeros((len(courses), N_STATES), dtype=np.int64)
    streams = np.zeros((len(courses), STATE_WORDS), dtype=np.uint64)
    for p, (course, seed) in enumerate(zip(courses, seeds, strict=True)):
        rng = np.random.Generator(np.random.SFC64(seed))
        model = course.config.model
        counts[p] = founding_counts(course.params, model.initial_cells, rng, capacity=model.carrying_capacity)
        streams[p] = stream_state(rng.bit_generator)  # type: ignore[arg-type]
    return counts, streams


def run_cohort(
    courses: Sequence[Course],
    seeds: Sequence[np.random.SeedSequence],
    founded: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Follow every patient until its course is over; returns the final cells per state (patients, states).

    ``courses``: one fresh ``Course`` per patient (its scenario gives the tumour's size,
    capacity, parameters and schedule); ``seeds``: one per patient, its tumour's own stream;
    ``founded``: what ``found_tumours(courses, seeds)`` returned, if it was called already.
    """
    n = len(courses)
    counts, streams = found_tumours(courses, seeds) if founded is None else (founded[0].copy(), founded[1].copy())
    tables = PatientTables(n)
    for p, course in enumerate(courses):
        course.observe(0, counts[p])
    day = np.zeros(n, dtype=np.int64)
    nadir = counts.sum(axis=1)
    baseline = nadir.astype(float)
    stop_when_extinct = np.array([c.config.model.stop_when_extinct for c in courses])
    capacity = np.array([c.config.model.carrying_capacity for c in courses], dtype=float)
    division_rate = np.array([c.params.division_rate for c in courses])
    death_rate = np.array([c.params.death_rate for c in courses])
    stop = np.zeros(n, dtype=np.int64)
    active = [p for p, c in enumerate(courses) if c.active]
    work = work_arrays(N_STATES)
    while active:
        looks = {p: courses[p].next_look() for p in active}
        width = max(1, *(len(w) for _, w in looks.values()))
        watch_code = np.full((n, width), -1, dtype=np.int64)
        watch_test = np.zeros((n, width), dtype=np.int64)
        watch_threshold = np.zeros((n, width))
        for p, (next_day, watches) in looks.items():
            stop[p] = next_day
            tables.update(p, courses[p].tables)  # type: ignore[arg-type]
            for w, (readout, test, threshold) in enumerate(watches):
                watch_code[p, w], watch_test[p, w], watch_threshold[p, w] = (
                    READOUT_CODES[readout],
                    TESTS[test],
                    threshold,
                )
        advance(
            np.array(active, dtype=np.int64),
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
            COUNT_MATRIX,
            tables.arrays(),
            division_rate,
            death_rate,
            capacity,
            CYCLING,
            work,
        )
        for p in active:
            course = courses[p]
            course.observe(int(day[p]), counts[p])
            course.nadir = min(course.nadir, int(nadir[p]))
        active = [p for p in active if courses[p].active]
    return counts
