"""Calibration: a posterior over the fitted quantities by ABC-SMC (pyabc), not one point.

Calibration is a sweep design plus an objective, each run evaluated as a sweep evaluates it:

- the design is pyabc's sequential proposals over the priors (generation 0 draws from the
  priors, each later one perturbs the previous generation's accepted particles), where a sweep
  has a fixed grid or sample;
- the objective is ``abm.experiments.objective`` (``range_distance`` over the targets): the
  distance a sweep over the validation trial reports as its metric ``calibration_distance``;
- one particle is evaluated by the sweep runner's ``simulate`` (``abm.experiments.sweep.runner``),
  its summary statistics the sweep metrics ``target.KEY``, on the sweeps' worker pool
  (``abm.experiments.pool.executor``: local processes or a Dask cluster).

So a sweep over two or three of the fitted keys on ``scenarios/validation.toml`` (shipped:
``scenarios/sweep-calibration-profile.toml``) profiles the very objective the ABC minimises.
What the calibration keeps of its own is what a sequential design needs: pyabc's history as
the resumable store, and a sampler that stays deterministic across workers (below).

Likelihood-free Bayesian inference (approximate Bayesian computation with sequential Monte
Carlo, pyabc 0.13). The priors are the table ``abm.priors.PRIORS`` (flat, linear or log; the
sampler works on log10 of the log-uniform ones, so its Gaussian perturbations are scale-free).

One particle is the validation trial (``scenarios/validation.toml``, ``validation_trial``)
with the particle's values applied (``with_values``: the path grammar of sweeps and
``--set``), ``patients_per_arm`` patients on every arm, its cohort seed drawn from the
particle's own random stream (so particles see different patients), run by ``simulate`` on
one worker. Its summary statistics are ``validation.target_values`` (the metrics
``target.KEY``) restricted to the targets used (``TRIAL_TARGETS`` by default). Points that
break the biology the targets do not measure (``objective.feasible``) get an infinite
distance without running.

Distance: ``objective.range_distance`` over the targets used (``RangeDistance``; the formula
is in ``abm.experiments.objective``'s docstring, one place for the ABC and sweeps). Epsilon:
the ``alpha`` quantile of the previous generation's weighted distances (pyabc
QuantileEpsilon); generation 0 accepts every feasible prior draw.

Determinism: ``SeededSampler`` runs candidate i of generation t with numpy's global generator
(which pyabc draws from) seeded from (seed, t, i), in this process, local worker processes or
a Dask cluster (``abm.pool.executor``), and accepts candidates in index order until n are
accepted; the generation's evaluation count is the index after the n-th acceptance. So the
same ``--seed`` gives the same posterior on any number of workers. The main-process steps
(transition fit, weights, epsilon) are deterministic functions of the stored generation, and
every generation is started the way a resumed run starts it: a fresh ``ABCSMC`` loaded from
``DIR/abc.db`` (pyabc's History, SQLite). A run stopped at any point (kill -9 included) and
started again redoes the unfinished generation with the same candidates, so its result
equals an uninterrupted run's.

Stopping: at ``max_generations``, when epsilon falls to ``min_epsilon``, or at the evaluation
budget ``max_evaluations`` (a hard bound on the wall time: a generation that would exceed it
is abandoned, and the posterior is the last complete generation).

Cost, measured on this 2-core machine (2 workers, the machine otherwise idle, the full preset's
own runs): session 7, 1729 evaluations in 2751 s, 1.6 s of wall time per particle at 200 patients
per arm (3.2 CPU-seconds; session 5 measured 5.1 before issue 13's kernel work); session 8 (the
shipped posterior), 2917 evaluations in 3781 s, 1.3 s per particle; plus ~6 s once per worker
process for imports and compilation. Presets (``PRESETS``), on 2 workers:

- ``small``: 40 particles per generation, 100 patients per arm, at most 6 generations,
  minimum epsilon 0.1, at most 400 evaluations: <= 400 x 0.8 s = ~6 minutes of simulation,
  under 15 minutes with the machine shared.
- ``full``: 100 particles, 200 patients per arm, at most 10 generations, minimum epsilon 0.1,
  at most 3500 evaluations: <= 3500 x 1.6 s = ~95 minutes, under 2 hours on an idle machine
  (a machine shared with other work is slower: session 6 measured 3.5 s per particle under a
  second job's load). The budget was 2000 while particles cost 5 s; at 2000 the posterior
  stopped at epsilon 0.70 with an effective sample size of 12.

Output (``DIR``, default ``calibration/<preset>/``): ``calibration.json`` (priors, the
weighted posterior median per key as ``point``, the generations, the targets), ``posterior.csv``
(the last generation's particles and weights), ``abc.db`` (pyabc's history, resumable),
``run.json`` (the settings a resumed run must match) and ``log.jsonl`` (one JSON object per
event: start, generation, stop).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.biology.parameters import Parameters
from abm.config.paths import PathLike
from abm.experiments.objective import DISTANCE, Ranges, feasible, range_distance, target_ranges
from abm.experiments.particles import weighted_quantiles
from abm.experiments.priors import PRIORS, Prior
from abm.experiments.sweep.metrics import TARGET_PREFIX
from abm.experiments.sweep.runner import simulate
from abm.experiments.trial import Distribution, Trial
from abm.experiments.trial import with_values as trial_with_values
from abm.experiments.validation import VALIDATION_TRIAL, validation_trial
from abm.io.errors import InputError
from abm.io.schema import PARTICLE, WEIGHT

CALIBRATION_DIR = Path(__file__).resolve().parents[2] / "calibration"
METHOD = "ABC-SMC (pyabc 0.13), quantile epsilon, local-covariance normal perturbation, seeded index-order sampler"
FORMAT = 1
FEASIBLE = "feasible"  # summary statistic: 1.0 when the point ran, 0.0 when it was rejected unrun
# Files of a calibration directory; anything else in DIR means it is not ours to write in.
FILES = ("calibration.json", "posterior.csv", "abc.db", "run.json", "log.jsonl", "report")  # report: abm report


@dataclass(frozen=True)
class Preset:
    """How large a calibration run is, and when it stops."""

    particles: int  # accepted particles per generation
    patients_per_arm: int
    max_generations: int
    min_epsilon: float
    max_evaluations: int  # hard budget over the whole run (bounds the wall time)
    alpha: float = 0.5  # epsilon of generation t+1: this quantile of generation t's distances


PRESETS: dict[str, Preset] = {
    "small": Preset(particles=40, patients_per_arm=100, max_generations=6, min_epsilon=0.1, max_evaluations=400),
    "full": Preset(particles=100, patients_per_arm=200, max_generations=10, min_epsilon=0.1, max_evaluations=3500),
}


class RangeDistance:
    """pyabc's distance: ``objective.range_distance`` over the targets used; infinite for a point rejected unrun."""

    def __init__(self, targets: Ranges) -> None:
        self.targets = targets  # key: (low, high, unit)

    def __call__(self, x: dict[str, float], x_0: dict[str, float]) -> float:  # the ranges stand for x_0
        if x.get(FEASIBLE, 1.0) == 0.0:
            return math.inf
        return range_distance(x, self.targets)


def with_values(trial: Trial, values: Mapping[PathLike, Any], source: str = "the calibration's values") -> Trial:
    """The trial with fitted quantities set: parameters (``division_rate``) and fields of cohort
    distributions (``cohort.division_rate.sigma``), paths of ``abm.config.paths``, validated as a
    trial file is (a value out of its range is an InputError)."""
    return trial_with_values(trial, values, source)


# Which fields of a cohort distribution each kind reads (a prior on another field would fit nothing).
_USED_FIELDS = {
    "uniform": {"low", "high", "present"},
    "loguniform": {"low", "high", "present"},
    "normal": {"mean", "sd", "low", "high", "present"},
    "lognormal": {"median", "sigma", "low", "high", "present"},
}


def check_priors(trial: Trial, priors: dict[str, Prior], source: str) -> None:
    """Refuse, in one line, a prior whose key the trial (its parameters or [cohort]) does not have."""
    for key, prior in priors.items():
        if prior.distribution not in ("uniform", "loguniform"):
            raise InputError("abm/experiments/priors.py", key, f"{prior.distribution!r}; allowed: uniform, loguniform")
        parts = key.split(".")
        if parts[0] != "cohort":
            if len(parts) != 1 or key not in Parameters.model_fields:
                raise InputError(
                    "abm/experiments/priors.py",
                    key,
                    "not a parameter of abm/biology/parameters.py nor cohort.NAME.FIELD",
                )
            continue
        if len(parts) != 3:
            raise InputError("abm/experiments/priors.py", key, "allowed: a parameter name or cohort.NAME.FIELD")
        _, name, field = parts
        if name not in trial.cohort:
            raise InputError(
                source, f"cohort.{name}", f"missing; the prior {key} needs it (add a [cohort] {name} entry)"
            )
        kind = trial.cohort[name].distribution
        if field not in Distribution.model_fields or field not in _USED_FIELDS[kind]:
            allowed = ", ".join(sorted(_USED_FIELDS[kind]))
            raise InputError(source, f"cohort.{name}", f"a {kind} has no field {field} to fit; allowed: {allowed}")


# --- pyabc's view of the priors: one parameter per key, log10 for log-uniform ones ------------
def _names(priors: dict[str, Prior]) -> dict[str, str]:
    """pyabc's parameter name for each key (the keys' dots do not suit its tables); sorted as keys."""
    return {key: f"p{i:02d}" for i, key in enumerate(priors)}


def _scaled(prior: Prior) -> tuple[float, float]:
    if prior.distribution == "loguniform":
        return math.log10(prior.low), math.log10(prior.high)
    return prior.low, prior.high


def decode(pars: dict[str, float], priors: dict[str, Prior]) -> dict[str, float]:
    """The values of the fitted quantities from pyabc's parameters."""
    values = {}
    for key, name in _names(priors).items():
        x = float(pars[name])
        values[key] = 10.0**x if priors[key].distribution == "loguniform" else x
    return values


def pyabc_prior(priors: dict[str, Prior]) -> Any:
    import pyabc

    rvs = {}
    for key, name in _names(priors).items():
        low, high = _scaled(priors[key])
        rvs[name] = pyabc.RV("uniform", low, high - low)
    return pyabc.Distribution(**rvs)


# --- the model ---------------------------------------------------------------------------------
class TrialModel:
    """One particle: the validation trial at the particle's values, measured on the targets."""

    def __init__(self, trial: Trial, priors: dict[str, Prior], targets: list[str]) -> None:
        self.trial, self.priors, self.targets = trial, priors, targets

    def __call__(self, pars: dict[str, float]) -> dict[str, float]:
        values = decode(pars, self.priors)
        cohort_seed = int(np.random.randint(0, 2**31 - 1))  # the candidate's own seeded stream
        release_global_rng()  # the rest draws from the cohort seed: other threads' candidates may go on
        # one validated trial: the particle's values and its cohort seed (which feasible does not read)
        trial = with_values(self.trial, {**values, ("trial", "seed"): cohort_seed})
        if not feasible(trial.parameters):
            return {FEASIBLE: 0.0, **dict.fromkeys(self.targets, math.nan)}
        # the sweep runner's evaluation: the trial run on one worker, its target metrics
        measured, _ = simulate(trial, tuple(TARGET_PREFIX + k for k in self.targets), series=False)
        return {FEASIBLE: 1.0, **{k: measured[TARGET_PREFIX + k] for k in self.targets}}


class StandInModel:
    """A cheap stand-in with TrialModel's interface, for testing the sampler and resuming.

    Each target's value is a smooth function of the particle's position in the prior box plus
    noise from the candidate's stream; points with the first coordinate in the top 5% of its
    range are infeasible. ``delay`` seconds of sleep per evaluation make it slow on purpose.
    """

    def __init__(self, priors: dict[str, Prior], targets: Ranges, delay: float = 0.0) -> None:
        self.priors, self.targets, self.delay = priors, targets, delay

    def __call__(self, pars: dict[str, float]) -> dict[str, float]:
        values = decode(pars, self.priors)
        units = [self.priors[k].to_unit(v) for k, v in values.items()]
        noise = np.random.normal(0.0, 0.1, len(self.targets))
        if self.delay:
            time.sleep(self.delay)
        if units[0] > 0.95:
            return {FEASIBLE: 0.0, **dict.fromkeys(self.targets, math.nan)}
        out = {FEASIBLE: 1.0}
        for j, (key, (low, high, _)) in enumerate(self.targets.items()):
            u = units[j % len(units)]
            out[key] = low + (high - low) * (2.0 * u - 0.3 + noise[j])
        return out


# --- the sampler: candidates seeded by (seed, t, i), accepted in index order -------------------
def candidate_seed(seed: int, t: int, index: int) -> int:
    """numpy's legacy seed of candidate ``index`` of generation ``t`` (t = -1: a prior sample)."""
    return int(np.random.SeedSequence([seed, t + 1, index]).generate_state(1)[0])


_LOADED: dict[int, Any] = {}  # in a worker: the last generation's simulate function, by payload hash
# pyabc draws from numpy's global generator; a Dask worker may run candidates in several threads,
# so a candidate holds it from its seeding until it has drawn all it needs (release_global_rng).
_RNG_LOCK = threading.Lock()
_RNG_HELD = threading.local()


def release_global_rng() -> None:
    """A candidate is done with numpy's global generator: restore it and let another thread's candidate seed it."""
    state = getattr(_RNG_HELD, "state", None)
    if state is not None:
        _RNG_HELD.state = None
        np.random.set_state(state)  # this process's own draws are not shifted
        _RNG_LOCK.release()


def simulate_candidate(payload: bytes, seed: int, t: int, index: int) -> Any:
    """In a worker (or this process): candidate ``index`` of generation ``t``, a pyabc Particle."""
    import cloudpickle

    key = hash(payload)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = cloudpickle.loads(payload)
    simulate_one = _LOADED[key]
    _RNG_LOCK.acquire()
    _RNG_HELD.state = np.random.get_state()
    np.random.seed(candidate_seed(seed, t, index))
    try:
        return simulate_one()
    finally:
        release_global_rng()


def _sampler_class() -> type:
    from pyabc.sampler import Sampler

    class SeededSampler(Sampler):
        """Evaluates candidates in batches on ``pool`` (None: here); accepts them in index order."""

        def __init__(self, seed: int, pool: Executor | None, slots: int) -> None:
            super().__init__()
            self.seed, self.pool, self.slots = seed, pool, max(1, slots)
            self.remaining = math.inf  # evaluations left in the run's budget

        def sample_until_n_accepted(
            self,
            n: int,
            simulate_one: Callable,
            t: int,
            *,
            max_eval: float = np.inf,
            all_accepted: bool = False,
            ana_vars: Any = None,
        ) -> Any:
            import cloudpickle

            limit = min(max_eval, self.remaining)
            payload = cloudpickle.dumps(simulate_one)
            sample = self._create_empty_sample()
            done: dict[int, Any] = {}
            pending: dict[Future, int] = {}
            submitted = used = accepted = 0
            try:
                while accepted < n and used < limit:
                    if used in done:  # the next candidate in index order is back
                        particle = done.pop(used)
                        sample.append(particle)
                        accepted += bool(particle.accepted)
                        used += 1
                        continue
                    if self.pool is None:
                        done[used] = simulate_candidate(payload, self.seed, t, used)
                        continue
                    while len(pending) < self.slots and submitted < limit:
                        future = self.pool.submit(simulate_candidate, payload, self.seed, t, submitted)
                        pending[future] = submitted
                        submitted += 1
                    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                    for future in finished:
                        done[pending.pop(future)] = future.result()
            finally:
                for future in pending:  # candidates past the n-th acceptance are not used
                    future.cancel()
            self.nr_evaluations_ = used
            if accepted < n:
                sample.ok = False
            return sample

    return SeededSampler


def _epsilon_class() -> type:
    from pyabc.epsilon import QuantileEpsilon

    class ResumableQuantileEpsilon(QuantileEpsilon):
        """QuantileEpsilon whose generation t > 0 is always the quantile of the stored generation t-1.

        pyabc's own, given a numeric initial epsilon, would start a resumed run at it again.
        """

        def initialize(self, t: int, get_weighted_distances: Callable, *args: Any, **kwargs: Any) -> None:
            if t == 0:
                self._set_initial_value(0)
            else:
                self._look_up = {}
                self._update(t, get_weighted_distances())

    return ResumableQuantileEpsilon


# --- the run -------------------------------------------------------------------------------------
def effective_sample_size(weights: Any) -> float:
    """Kish's effective sample size of importance weights: how many equal particles they are worth."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2))


def _settings(
    preset: Preset, seed: int, priors: dict[str, Prior], targets: list[str], trial_path: Path, model: str
) -> dict[str, Any]:
    """What a resumed run must share with the stored one (the stopping rules may change)."""
    return {
        "seed": seed,
        "particles": preset.particles,
        "patients_per_arm": preset.patients_per_arm,
        "alpha": preset.alpha,
        "priors": {k: p.as_json() for k, p in priors.items()},
        "targets": targets,
        "distance": DISTANCE,
        "trial": _portable(trial_path),
        "model": model,
    }


def _portable(path: Path) -> str:
    """A path as a run record keeps it: relative to the project when inside it, so a clone resumes."""
    try:
        return str(Path(path).resolve().relative_to(CALIBRATION_DIR.parent))
    except ValueError:
        return str(path)


def check_folder(out: Path) -> None:
    """Refuse an --out that is a file, or a folder holding files a calibration does not write."""
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "is a file; allowed: a folder")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in FILES and not p.name.startswith("."))
        if foreign:
            raise InputError("--out", str(out), f"holds files abm did not write ({', '.join(foreign)})")


def calibrate(
    out: Path,
    preset: Preset,
    preset_name: str = "custom",
    seed: int = 0,
    workers: int = 1,
    scheduler: str | None = None,
    trial_path: Path = VALIDATION_TRIAL,
    priors: dict[str, Prior] | None = None,
    targets: list[str] | None = None,
    stand_in_delay: float | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or continue) the ABC-SMC calibration in ``out``; returns the calibration.json object.

    ``stand_in_delay``: not None runs ``StandInModel`` (that many seconds per evaluation)
    instead of the trial, for tests.
    """
    from abm.experiments.pool import executor
    from abm.io.output import write_csv, write_json

    priors = dict(PRIORS if priors is None else priors)
    ranges = target_ranges()
    targets = list(ranges if targets is None else targets)
    unknown = [k for k in targets if k not in ranges]
    if unknown:
        raise InputError("targets", unknown[0], f"not a trial target; allowed: {', '.join(ranges)}")
    ranges = {k: ranges[k] for k in targets}
    check_folder(out)
    trial = validation_trial(patients=preset.patients_per_arm, path=trial_path)
    check_priors(trial, priors, str(trial_path))
    model_name = "stand-in" if stand_in_delay is not None else "validation trial"
    model = (
        StandInModel(priors, ranges, stand_in_delay)
        if stand_in_delay is not None
        else TrialModel(trial, priors, targets)
    )
    settings = _settings(preset, seed, priors, targets, trial_path, model_name)
    import pyabc  # a second or two: after the input is checked

    logging.getLogger("ABC").setLevel(logging.WARNING)  # our own lines say what a generation did
    # importance weights (prior / proposal density) are tiny in 15 dimensions; they are normalised
    logging.getLogger("ABC.Population").setLevel(logging.ERROR)

    out.mkdir(parents=True, exist_ok=True)
    db_path, run_path, log_path = out / "abc.db", out / "run.json", out / "log.jsonl"
    resume = db_path.exists() and run_path.exists()
    if resume:
        stored = json.loads(run_path.read_text())
        changed = [k for k in settings if stored.get(k) != settings[k]]
        if changed:
            raise InputError(
                "--out",
                str(out),
                f"holds a run with other {', '.join(changed)}; give another --out or the same settings to resume",
            )
    elif db_path.exists():  # a run killed while its database was being created: nothing to keep
        db_path.unlink()

    def record(event: dict[str, Any]) -> None:
        with log_path.open("a") as handle:
            handle.write(json.dumps({"time": round(time.time(), 3), **event}) + "\n")

    started = time.perf_counter()
    db = f"sqlite:///{db_path}"
    x_0 = {k: (low + high) / 2 if math.isfinite(high) else low for k, (low, high, _) in ranges.items()}
    x_0[FEASIBLE] = 1.0
    sampler_class, epsilon_class = _sampler_class(), _epsilon_class()
    record({"event": "start", "resume": resume, "preset": preset_name, "workers": workers, **asdict(preset)})
    log(
        f"{'continuing' if resume else 'starting'} ABC-SMC in {out}: preset {preset_name}, "
        f"{preset.particles} particles x {preset.patients_per_arm} patients per arm, seed {seed}, "
        f"{len(priors)} priors, {len(targets)} targets"
    )
    stop = ""
    with executor(workers, scheduler, log) as (pool, slots, _):
        sampler = sampler_class(seed, pool, slots)
        while True:
            abc = pyabc.ABCSMC(
                model,
                pyabc_prior(priors),
                RangeDistance(ranges),
                population_size=preset.particles,
                sampler=sampler,
                eps=epsilon_class(alpha=preset.alpha, initial_epsilon=1e12),
                # Local covariances (Filippi et al. 2013 Stat Appl Genet Mol Biol 12:87): one global
                # Gaussian kernel over ~12 dimensions and 40-100 particles let one particle take
                # 98% of the weight within three generations (a first small run: ESS 40, 10, 1.4, 1.0)
                # (they need neighbours: tiny populations, as in the tests, keep the global kernel)
                transitions=pyabc.LocalTransition(k_fraction=0.5)
                if preset.particles >= 2 * pyabc.LocalTransition.MIN_K
                else pyabc.MultivariateNormalTransition(),
            )
            if resume:
                history = abc.load(db, 1)
            else:
                history = abc.new(db, x_0)
                run_path.write_text(json.dumps(settings, indent=2) + "\n")
                resume = True
            done_t = history.max_t  # -1 before the first generation
            total = history.total_nr_simulations or 0
            if done_t >= 0:
                epsilon = float(history.get_all_populations().set_index("t").loc[done_t, "epsilon"])
                if epsilon <= preset.min_epsilon:
                    stop = f"epsilon {epsilon:.4g} <= minimum {preset.min_epsilon:g}"
            if done_t + 1 >= preset.max_generations:
                stop = stop or f"{preset.max_generations} generations"
            if total >= preset.max_evaluations:
                stop = stop or f"evaluation budget {preset.max_evaluations} spent"
            if stop:
                break
            sampler.remaining = preset.max_evaluations - total
            generation_started = time.perf_counter()
            abc.run(max_nr_populations=1)
            if history.max_t == done_t:  # the budget ran out inside the generation: it was abandoned
                stop = f"evaluation budget {preset.max_evaluations} would be spent inside generation {done_t + 1}"
                break
            row = history.get_all_populations().set_index("t").loc[history.max_t]
            entry = {
                "event": "generation",
                "t": int(history.max_t),
                "epsilon": float(row["epsilon"]),
                "accepted": int(row["particles"]),
                "evaluations": int(row["samples"]),
                "seconds": round(time.perf_counter() - generation_started, 2),
                "elapsed": round(time.perf_counter() - started, 2),
            }
            record(entry)
            log(
                f"t={entry['t']} epsilon={entry['epsilon']:.4g} accepted {entry['accepted']}/{entry['evaluations']}"
                f" elapsed {entry['elapsed']:.0f} s"
            )
    record({"event": "stop", "reason": stop})
    log(f"stopped: {stop}")

    history = pyabc.History(db)
    history.id = 1
    if history.max_t < 0:
        raise InputError("--out", str(out), "no generation finished within the evaluation budget")
    populations = history.get_all_populations()
    generations = [
        {
            "t": int(r.t),
            "epsilon": float(r.epsilon),
            "particles": int(r.particles),
            "evaluations": int(r.samples),
            "acceptance_rate": float(r.particles / r.samples),
            "effective_sample_size": effective_sample_size(history.get_distribution(m=0, t=int(r.t))[1]),
        }
        for r in populations[populations.t >= 0].itertuples()
    ]
    pars, weights = history.get_distribution(m=0, t=history.max_t)
    weights = np.asarray(weights, dtype=float)
    weights = weights / weights.sum()
    values = [decode(dict(row), priors) for _, row in pars.iterrows()]
    posterior = pd.DataFrame({PARTICLE: range(len(values)), WEIGHT: weights})
    for key in priors:
        posterior[key] = [v[key] for v in values]
    point = {key: float(weighted_quantiles(posterior[key], weights, (0.5,))[0]) for key in priors}
    result = {
        "format": FORMAT,
        "method": METHOD,
        "preset": preset_name,
        "seed": seed,
        "priors": {k: p.as_json() for k, p in priors.items()},
        "point": point,
        "generations": generations,
        "patients_per_arm": preset.patients_per_arm,
        "workers": workers,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "targets": targets,
        "stopped": stop,
    }
    write_csv(posterior, out / "posterior.csv")
    write_json(result, out / "calibration.json")
    return result
