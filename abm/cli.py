"""The ``abm`` command line.

Imports here are only what parsing the command line needs: each command imports its own
modules when it runs, so `abm --help` starts without pydantic, numpy or Mesa, whose imports
take most of a start's CPU time (benchmarks/startup.py; tests/test_startup.py keeps it so).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

from abm.io.errors import InputError
from abm.version import __version__

OVERWRITE_HELP = "replace an output folder that holds another kind of result (a trial's, a sweep's, ...)"
FORCE_WORKERS_HELP = "run more worker processes than this machine has CPUs"
# One default for every command that runs worker processes (trial, validate, sweep, calibrate, optimise).
DEFAULT_WORKERS = 2
WORKERS_HELP = (
    f"local worker processes (default {DEFAULT_WORKERS}, or 1 on a one-CPU machine; 1 runs in this process); "
    "results are the same on any number"
)


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser (docs/scripts/gen_reference.py writes the CLI reference from it)."""
    parser = argparse.ArgumentParser(
        prog="abm",
        description="Simulate EGFR-mutant lung cancer evolving resistance under TKI, AXL- and MET-inhibitor schedules.",
    )
    parser.add_argument("--version", action="version", version=f"abm {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one scenario on the spatial model")
    run.add_argument(
        "scenario",
        nargs="?",
        help="scenario TOML file, or its name in scenarios/ (e.g. osimertinib-continuous; default: built-in "
        "osimertinib continuous)",
    )
    run.add_argument("--seed", type=int, help="random seed (overrides model.seed)")
    run.add_argument("--days", type=int, help="days to simulate (overrides model.days)")
    run.add_argument("--out", type=Path, help="output folder (default: results/<scenario file name>)")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter or model setting, e.g. --set persister_entry_fraction=0.01 --set model.width=50",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    run.add_argument(
        "--snapshots",
        type=int,
        nargs="+",
        metavar="DAY",
        help="days to keep the lattice of a spatial run (default: day 0, each quarter, the last day)",
    )
    run.add_argument("--report", action="store_true", help="also write figures and report.html (see abm report)")
    run.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)

    trial = commands.add_parser("trial", help="run a virtual trial: every arm on the same virtual patients")
    trial.add_argument("trial", type=Path, help="trial TOML file, or its name in scenarios/ (e.g. trial-axl-timing)")
    trial.add_argument("--patients", type=int, help="patients (overrides trial.patients)")
    trial.add_argument("--seed", type=int, help="root seed (overrides trial.seed)")
    trial.add_argument("--workers", type=int, help=WORKERS_HELP)
    trial.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed cluster, e.g. tcp://host:8786")
    trial.add_argument("--out", type=Path, help="output folder (default: results/<trial file name>)")
    trial.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    trial.add_argument("--report", action="store_true", help="also write figures and report.html (see abm report)")
    trial.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    trial.add_argument("--force-workers", action="store_true", help=FORCE_WORKERS_HELP)
    trial.add_argument(
        "--posterior",
        type=int,
        metavar="N",
        help="also run the trial under N parameter sets drawn from the calibration's posterior (systematic "
        "resampling of its weights), every draw on the same virtual patients; writes posterior.csv and prints "
        "each figure as posterior median [2.5%%, 97.5%%] over the draws: the parameters' posterior uncertainty "
        "with the patients held fixed, not the sampling CI of the cohort",
    )
    trial.add_argument(
        "--calibration",
        type=Path,
        metavar="DIR",
        help="calibration folder (abm calibrate --out; default calibration/posterior/): the usual outputs are "
        "the run at its posterior point, and --posterior draws from it",
    )

    validate = commands.add_parser("validate", help="check the reviewed frequencies on the validation cohort")
    validate.add_argument("--patients", type=int, help="patients per arm (default: the file's, 1000)")
    validate.add_argument("--seed", type=int, help="root seed")
    validate.add_argument("--workers", type=int, help=WORKERS_HELP)
    validate.add_argument("--json", action="store_true", help="print the rows as one JSON object")
    validate.add_argument("--out", type=Path, help="also write DIR/validation.json (the --json object)")
    validate.add_argument("--report", action="store_true", help="with --out: also write figures and report.html")
    validate.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)
    validate.add_argument("--force-workers", action="store_true", help=FORCE_WORKERS_HELP)
    validate.add_argument("--no-dish", action="store_true", help="skip the PC-9 dish targets (about 1 s)")
    validate.add_argument(
        "--posterior",
        type=int,
        metavar="N",
        help="the rows at the calibration's posterior point and, beside each row's sampling 95%% CI, its "
        "posterior-predictive 95%% interval: the validation cohort (same patients, same seed) under N parameter "
        "sets drawn from the calibration's posterior",
    )
    validate.add_argument(
        "--calibration",
        type=Path,
        metavar="DIR",
        help="with --posterior: calibration folder (default calibration/posterior/)",
    )

    report = commands.add_parser("report", help="figures and one self-contained report.html from a result folder")
    report.add_argument(
        "folder",
        type=Path,
        help="a folder written by abm run, trial, validate --out or a sweep; or a calibration folder "
        "(calibration.json and posterior.csv): what the targets identify, in DIR/report/",
    )

    calibrate = commands.add_parser(
        "calibrate", help="fit a posterior of the rates to the reviewed frequencies (ABC-SMC, resumable)"
    )
    calibrate.add_argument("--preset", default="small", help="small (~15 min on 2 cores) or full (~2 h); default small")
    calibrate.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    calibrate.add_argument("--workers", type=int, help=WORKERS_HELP)
    calibrate.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a Dask distributed cluster, e.g. tcp://host:8786"
    )
    calibrate.add_argument(
        "--out", type=Path, metavar="DIR", help="calibration folder (default calibration/PRESET/); resumes a run there"
    )
    calibrate.add_argument("--force-workers", action="store_true", help=FORCE_WORKERS_HELP)

    viz = commands.add_parser("viz", help="watch the tumour under therapy in the browser (SolaraViz)")
    viz.add_argument("scenario", nargs="?", help="scenario TOML file to start from (default: built-in default)")
    viz.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    viz.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    viz.add_argument(
        "--allow-remote",
        action="store_true",
        help="serve beyond this machine (a --host other than loopback); the app has no login",
    )
    sweep = commands.add_parser("sweep", help="run a parameter sweep (resumable) on worker processes or a Dask cluster")
    sweep.add_argument("sweep", type=Path, help="sweep TOML file, or its name in scenarios/ (e.g. sweep-axl-timing)")
    sweep.add_argument("--workers", type=int, help=WORKERS_HELP)
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed cluster, e.g. tcp://host:8786")
    sweep.add_argument("--out", type=Path, help="output folder (default: results/<sweep file name>)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.add_argument("--report", action="store_true", help="also write figures and report.html (see abm report)")
    sweep.add_argument("--force-workers", action="store_true", help=FORCE_WORKERS_HELP)
    sweep.add_argument("--max-runs", type=int, metavar="N", help="allow a design of more than 100,000 runs")

    optimise = commands.add_parser(
        "optimise", help="search a schedule family for the schedule that delays progression most (Optuna, resumable)"
    )
    optimise.add_argument(
        "family", type=Path, help="schedule family TOML file, or its name in scenarios/ (e.g. optimise-axl-window)"
    )
    optimise.add_argument("--trials", type=int, default=60, help="trials in the study (default 60); more extends it")
    optimise.add_argument("--workers", type=int, help=WORKERS_HELP)
    optimise.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a Dask distributed cluster, e.g. tcp://host:8786"
    )
    optimise.add_argument("--out", type=Path, help="output folder (default: results/<family file name>)")
    optimise.add_argument("--no-reevaluate", action="store_true", help="skip re-running the best on a fresh cohort")
    optimise.add_argument("--report", action="store_true", help="also write figures and report.html (see abm report)")
    optimise.add_argument("--force-workers", action="store_true", help=FORCE_WORKERS_HELP)

    sensitivity = commands.add_parser("sensitivity", help="Morris or Sobol indices of a finished sweep's metrics")
    sensitivity.add_argument("out", type=Path, metavar="DIR", help="the sweep's output folder")
    sensitivity.add_argument("--metric", action="append", help="metric to analyse (repeatable; default: all)")
    sensitivity.add_argument("--method", choices=["morris", "sobol"], help="default: the sweep's design")

    commands.add_parser("parameters", help="list every parameter with its default, allowed range and source")
    commands.add_parser(
        "drugs", help="list the drugs: regimen, half-life, routes blocked and how strongly at steady state, sources"
    )
    kinetics = commands.add_parser(
        "kinetics", help="untreated volume doubling time and cell-loss factor, beside the reported ranges"
    )
    kinetics.add_argument("--cells", type=float, default=1e10, help="tumour cells (default 1e10, the cohort median)")
    kinetics.add_argument(
        "--pre-existing",
        action="store_true",
        help="also the pre-existing subclone fractions of 1000 such tumours, beside the analytic expectation",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (2 for bad input)."""
    args = build_parser().parse_args(argv)
    try:
        status = _dispatch(args)
        sys.stdout.flush()  # here, so a closed pipe is met inside the handler below
        return status
    except InputError as error:
        print(f"abm: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("abm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `abm parameters | head`: the reader has all it wants
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's last flush cannot fail again
        return 141


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return _run(args)
    if args.command == "trial":
        return _trial(args)
    if args.command == "validate":
        return _validate(args)
    if args.command == "calibrate":
        return _calibrate(args)
    if args.command == "viz":
        from abm.viz.server import serve

        return serve(args.scenario, args.host, args.port, args.allow_remote)
    if args.command == "report":
        return _report(args.folder)
    if args.command == "sweep":
        return _sweep(args)
    if args.command == "sensitivity":
        return _sensitivity(args)
    if args.command == "optimise":
        return _optimise(args)
    if args.command == "parameters":
        return _parameters()
    if args.command == "drugs":
        return _drugs()
    if args.command == "kinetics":
        return _kinetics(args.cells, args.pre_existing)
    return 1


def _kinetics(cells: float, pre_existing: bool) -> int:
    from abm.biology.kinetics import format_growth, pre_existing_table, untreated_growth
    from abm.biology.parameters import Parameters
    from abm.config.scenario import plateau

    if not 1 <= cells <= 1e13:
        raise InputError("--cells", str(cells), "allowed: 1 to 1e13 cells")
    capacity = plateau(Parameters(), cells)
    g = untreated_growth(Parameters(), cells, capacity)
    print(f"default clinical tumour: {cells:.3g} cells, carrying capacity {capacity:.3g}")
    print(format_growth(g))
    if pre_existing:
        print(pre_existing_table(Parameters(), cells, capacity))
    return 0


def _run(args: argparse.Namespace) -> int:
    from abm.config import scenario as scenarios
    from abm.experiments.run import run_scenario, write_run
    from abm.io.outdir import output_folder

    overrides = dict(scenarios.parse_assignment(text) for text in args.set)
    options = {}  # a value given by an option, not by --set, is reported as that option's
    for key, option, value in (("model.seed", "--seed", args.seed), ("model.days", "--days", args.days)):
        if value is not None:
            overrides[key], options[key] = value, option
    scenario = scenarios.load(args.scenario, overrides, options)
    out = args.out or Path("results") / (Path(args.scenario).stem if args.scenario else "default")
    snapshots = tuple(args.snapshots) if args.snapshots else None
    if snapshots and min(snapshots) < 0:
        raise InputError("--snapshots", str(min(snapshots)), "allowed: days 0 or later")
    with output_folder(out, "run", args.overwrite) as staging:  # checked before the run, replaced whole after
        result = run_scenario(scenario, progress=False if args.quiet else None, snapshots=snapshots)
        write_run(result, staging)
    if not args.quiet:
        _print_summary(result.summary, out)
    if args.report:
        _report(out, quiet=args.quiet)
    return 0


def _trial(args: argparse.Namespace) -> int:
    if args.workers is not None and args.scheduler:
        raise InputError("--workers", str(args.workers), "a Dask cluster has its own workers; give one of the two")
    if args.scheduler is None:
        start_workers(args.workers, args.force_workers)  # before the imports below, which take a second
    import json

    from abm.experiments.adtte import adtte
    from abm.experiments.pool import ClusterLostError
    from abm.experiments.trial import load_trial, run_trial
    from abm.experiments.trial_stats import format_summary, summarise_trial
    from abm.io.outdir import output_folder
    from abm.io.output import finite, write_csv, write_json
    from abm.io.schema import CALIBRATION, POINT, POSTERIOR, SEED, TRIAL

    overrides = {k: v for k, v in (("patients", args.patients), ("seed", args.seed)) if v is not None}
    trial = load_trial(args.trial, overrides, {"patients": "--patients", "seed": "--seed"})
    if args.posterior is not None and args.posterior < 1:
        raise InputError("--posterior", str(args.posterior), "allowed: 1 or more draws")
    calibration = None
    if args.posterior is not None or args.calibration is not None:
        from abm.experiments import posterior

        calibration = posterior.load_calibration(args.calibration)  # checked before any patient runs
        source = str(calibration.directory / posterior.CALIBRATION_FILE)
        trial = posterior.apply(trial, calibration.point, source)
    workers = worker_count(args.workers, args.force_workers)
    out = args.out or Path("results") / args.trial.stem
    written = ["patients.csv", "adtte.csv", "summary.json"]
    try:
        with output_folder(out, "trial", args.overwrite) as staging:
            table = run_trial(trial, workers, False if args.json else None, args.scheduler)
            arms = [a.name for a in trial.arms]
            summary = finite({TRIAL: trial.name, SEED: trial.trial.seed, **summarise_trial(table, arms)})
            if calibration is not None:
                summary[CALIBRATION] = {"folder": str(calibration.directory), POINT: calibration.point}
            if args.posterior is not None:
                sets = posterior.draws(calibration, args.posterior, trial.trial.seed)
                tidy = posterior.posterior_trial(
                    trial,
                    sets,
                    lambda t: run_trial(t, workers, False, args.scheduler),
                    source,
                    log=None if args.json else lambda m: print(m, file=sys.stderr, flush=True),
                )
                summary[POSTERIOR] = finite(
                    {"draws": args.posterior, "seed": trial.trial.seed, "parameters": sets}
                    | {"arms": posterior.summarise_posterior(tidy)}
                )
                write_csv(tidy, staging / "posterior.csv")
                written.append("posterior.csv")
            write_csv(table, staging / "patients.csv")
            write_csv(adtte(table, trial.name, arms), staging / "adtte.csv")
            write_json(summary, staging / "summary.json")
    except ClusterLostError as lost:  # nothing written: the folder is swapped in only when complete
        print(f"abm: error: the Dask cluster was lost ({lost}); run the same command again", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        at = f", at the posterior point of {calibration.directory}" if calibration is not None else ""
        print(format_summary(f"{trial.name} (seed {trial.trial.seed}{at})", summary))
        if args.posterior is not None:
            print(posterior.format_posterior(posterior.summarise_posterior(tidy), args.posterior, arms[0]))
        print(f"  wrote {', '.join(str(out / name) for name in written)}")
    if args.report:
        _report(out, quiet=args.json)
    return 0


def _validate(args: argparse.Namespace) -> int:
    if args.report and args.out is None:
        raise InputError("--report", "", "needs --out DIR (where the report goes)")
    start_workers(args.workers, args.force_workers)  # before the imports below, which take a second
    import json

    from abm.experiments.validation import format_rows, json_ready, targets_passed, validate, validation_trial
    from abm.io.outdir import output_folder
    from abm.io.output import write_json
    from abm.io.schema import CHECKS, DISH, KIND, PATIENTS, SEED, TARGETS, TRIAL

    trial = validation_trial(patients=args.patients, seed=args.seed)
    if args.calibration is not None and args.posterior is None:
        raise InputError("--calibration", str(args.calibration), "needs --posterior N (the draws to take from it)")
    if args.posterior is not None:
        if args.posterior < 1:
            raise InputError("--posterior", str(args.posterior), "allowed: 1 or more draws")
        from abm.experiments import posterior

        calibration = posterior.load_calibration(args.calibration)  # checked before any patient runs
        source = str(calibration.directory / posterior.CALIBRATION_FILE)
        for values in posterior.draws(calibration, args.posterior, trial.trial.seed):
            posterior.apply(trial, values, source)  # a key this cohort cannot take fails now, not after a run
        trial = posterior.apply(trial, calibration.point, source)  # the rows' values: at the posterior point
    workers = worker_count(args.workers, args.force_workers)
    with output_folder(args.out, "validation", args.overwrite) if args.out else nullcontext() as staging:
        rows, _ = validate(trial, workers=workers, progress=False if args.json else None, dish=not args.no_dish)
        if args.posterior is not None:
            values = posterior.posterior_validation(
                trial,
                posterior.draws(calibration, args.posterior, trial.trial.seed),
                lambda t: validate(t, workers=workers, progress=False, dish=not args.no_dish)[0],
                source,
                log=None if args.json else lambda m: print(m, file=sys.stderr, flush=True),
            )
            rows = posterior.add_posterior(rows, values)
        # "targets": the judged rows (trial, then dish), each with its key and kind; "checks": the
        # rows with no reviewed range, kept apart so readers of "targets" see only ranges
        result = {  # the order of schema.VALIDATION_TABLE
            TRIAL: trial.name,
            PATIENTS: trial.trial.patients,
            SEED: trial.trial.seed,
            DISH: not args.no_dish,
            TARGETS: json_ready([r for r in rows if r[KIND] == "target"]),
            CHECKS: json_ready([r for r in rows if r[KIND] == "check"]),
        }
        if staging is not None:
            write_json(result, staging / "validation.json")
    if args.json:
        print(json.dumps(result, allow_nan=False))
    else:
        print(f"{trial.name}: {trial.trial.patients} patients per arm, seed {trial.trial.seed}")
        print(format_rows(rows))
        if args.posterior is not None:
            print(posterior.format_posterior_rows(rows, args.posterior))
    if args.report:
        _report(args.out, quiet=args.json)
    passed, total = targets_passed(rows)
    return 0 if passed == total else 1


def available_cpus() -> int:
    """CPUs this process may run on (its affinity, as a container or taskset limits it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(asked: int | None, force: bool = False) -> int:
    """Worker processes to start: ``DEFAULT_WORKERS`` (at most the CPUs) when not asked; at least 1,
    and no more than the CPUs unless forced.

    More workers than CPUs only add memory (each imports the whole model) and run slower.
    """
    if asked is None:
        return min(DEFAULT_WORKERS, available_cpus())
    if asked < 1:
        raise InputError("--workers", str(asked), "allowed: 1 or more")
    cpus = available_cpus()
    if asked > cpus and not force:
        print(
            f"abm: note: --workers {asked} capped at the {cpus} CPUs available (--force-workers to insist)",
            file=sys.stderr,
        )
        return cpus
    return asked


def start_workers(asked: int | None, force: bool = False) -> None:
    """Start the worker pool's fork server now if the command will run worker processes.

    It imports the model in its own process while this one reads and validates its input, so
    the workers are ready (forked with the model loaded) when the first run is handed out.
    """
    if asked is None:
        wanted = min(DEFAULT_WORKERS, available_cpus())
    else:
        wanted = asked if force else min(asked, available_cpus())
    if wanted > 1:
        from abm.experiments.pool import start

        start()


def _report(folder: Path, quiet: bool = False) -> int:
    from abm.experiments.posterior import is_calibration_dir

    if is_calibration_dir(folder):
        from abm.report.calibration_report import build_calibration_report

        path, text = build_calibration_report(folder)
        if not quiet:
            print(text)
            print(f"  wrote {path}")
        return 0
    from abm.report.build import build_report

    path = build_report(folder)
    if not quiet:
        print(f"  wrote {path}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from abm.experiments.calibration import CALIBRATION_DIR, PRESETS, check_folder

    if args.preset not in PRESETS:
        raise InputError("--preset", args.preset, f"allowed: {', '.join(PRESETS)}")
    if args.seed < 0:
        raise InputError("--seed", str(args.seed), "allowed: 0 or more")
    if args.workers is not None and args.scheduler:
        raise InputError("--workers", str(args.workers), "a Dask cluster has its own workers; give one of the two")
    workers = 1 if args.scheduler else worker_count(args.workers, args.force_workers)
    out = args.out or CALIBRATION_DIR / args.preset
    check_folder(out)  # before the minutes of fitting, not after
    if args.scheduler is None:
        start_workers(workers, args.force_workers)  # the fork server imports while pyabc loads
    from abm.experiments.calibration import calibrate

    result = calibrate(
        out,
        PRESETS[args.preset],
        args.preset,
        seed=args.seed,
        workers=workers,
        scheduler=args.scheduler,
        log=lambda m: print(m, file=sys.stderr, flush=True),
    )
    last = result["generations"][-1]
    print(f"method: {result['method']}")
    print(
        f"{len(result['generations'])} generations ({result['stopped']}); last epsilon {last['epsilon']:.4g},"
        f" {sum(g['evaluations'] for g in result['generations'])} evaluations"
    )
    print("posterior median: " + ", ".join(f"{k}={v:.3g}" for k, v in result["point"].items()))
    print(f"{result['wall_seconds']} s; wrote {out / 'calibration.json'}, {out / 'posterior.csv'}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    if args.workers is not None and args.scheduler:
        raise InputError("--workers", str(args.workers), "a Dask cluster has its own workers; give one of the two")
    if args.max_runs is not None and args.max_runs < 1:
        raise InputError("--max-runs", str(args.max_runs), "allowed: 1 or more")
    if args.scheduler is None:
        start_workers(args.workers, args.force_workers)  # before the imports below, which take a second
    from abm.experiments.sweep.design import load_sweep
    from abm.experiments.sweep.runner import run_sweep
    from abm.experiments.sweep.summary import summarise_sweep

    sweep = load_sweep(args.sweep, args.max_runs)
    out = args.out or Path("results") / args.sweep.stem
    workers = worker_count(args.workers, args.force_workers)
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{workers} worker process(es)"
    shape = f"{len(sweep.points)} points x {sweep.file.replicates} replicates"
    summary, table = run_sweep(
        sweep,
        out,
        workers=workers,
        scheduler=args.scheduler,
        progress=False if args.quiet else None,
        log=lambda m: print(m, file=sys.stderr),
        on_start=lambda: print(f"{sweep.file.name}: {sweep.n_runs} runs ({shape}) on {where}", flush=True),
    )
    ran = summary.done + summary.failed
    print(
        f"{summary.runs} runs: {summary.skipped + summary.done} done, {summary.failed} failed"
        f" ({ran} run now in {summary.seconds:.1f} s, {summary.skipped} already done)"
    )
    left = summary.runs - summary.skipped - ran
    if summary.lost:
        print(f"abm: error: the Dask cluster was lost ({summary.lost})", file=sys.stderr)
    if left:
        why = (
            "interrupted"
            if summary.interrupted
            else "the cluster was lost"
            if summary.lost
            else "the worker pool broke"
        )
        print(f"{why}: {left} runs not run; run the same command again to resume", file=sys.stderr)
    print(f"wrote {out / 'runs.parquet'}" + (f" and {out / 'series.parquet'}" if sweep.file.series else ""))
    if not summary.interrupted:
        print("\n".join(summarise_sweep(table, sweep.parameters, list(sweep.metrics), sweep.file.design.method)))
    if args.report and not summary.interrupted:
        _report(out, quiet=args.quiet)
    if summary.interrupted:
        return 130
    return 1 if summary.failed or left else 0


def _optimise(args: argparse.Namespace) -> int:
    if args.workers is not None and args.scheduler:
        raise InputError("--workers", str(args.workers), "a Dask cluster has its own workers; give one of the two")
    if args.trials < 1:
        raise InputError("--trials", str(args.trials), "allowed: 1 or more")
    if args.scheduler is None:
        start_workers(args.workers, args.force_workers)
    import time

    from abm.experiments.optimise import (
        REEVALUATED_PATIENTS_FILE,
        REEVALUATION_FILE,
        TRIALS_FILE,
        EvaluationError,
        best_trials,
        check_folder,
        format_best,
        load_family,
        optimise,
        reevaluate,
        write_results,
    )

    family = load_family(args.family)
    out = args.out or Path("results") / args.family.stem
    check_folder(family, out)
    workers = worker_count(args.workers, args.force_workers)
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else f"{workers} worker process(es)"
    started = time.perf_counter()
    print(f"{family.file.name}: {args.trials} trials of {family.arm_name!r} on {where}", flush=True)
    try:
        study = optimise(
            family, out, args.trials, workers=workers, scheduler=args.scheduler, log=lambda m: print(m, file=sys.stderr)
        )
    except EvaluationError as error:
        print(
            f"abm: error: {error}; the trials before its batch are kept: run the same command again to resume",
            file=sys.stderr,
        )
        return 1
    table = write_results(family, study, out)
    searched = time.perf_counter() - started
    print(
        f"{len(table)} trials ({(table['state'] == 'complete').sum()} complete, {int(table['feasible'].sum())} "
        f"feasible); search {searched:.0f} s; wrote {out / TRIALS_FILE}"
    )
    if reference := study.user_attrs.get("reference"):
        figures = ", ".join(f"{o} {reference[o]:.0f}" for o in family.objectives if o in reference)
        print(f"reference {family.reference_name!r} on the search cohort: {figures}")
    best = best_trials(family, study, family.file.reevaluate.best)
    if not best:
        print("no feasible trial: nothing to re-evaluate", file=sys.stderr)
        return 1
    if not args.no_reevaluate:
        patients, summary = reevaluate(family, best, workers=workers, scheduler=args.scheduler)
        patients.to_csv(out / REEVALUATED_PATIENTS_FILE, index=False)
        summary.to_csv(out / REEVALUATION_FILE, index=False)
        print(format_best(family, best, summary))
    print(f"wall time {time.perf_counter() - started:.0f} s; study in {out / 'study.db'}")
    if args.report:
        _report(out)
    return 0


def _sensitivity(args: argparse.Namespace) -> int:
    from abm.experiments.sweep.sensitivity import analyse, format_table
    from abm.io.output import write_csv

    table = analyse(args.out, args.metric, args.method)
    write_csv(table, args.out / "sensitivity.csv")
    print(format_table(table))
    print(f"wrote {args.out / 'sensitivity.csv'}")
    return 0


def _print_summary(summary: dict, out: Path) -> None:
    first, last = summary["initial"], summary["final"]
    print(f"{summary['scenario']} (seed {summary['seed']}): {summary['days_simulated']} days")
    print(
        f"  cells {first['total']:,} -> {last['total']:,} "
        f"(fraction alive {summary['fraction_alive']:.4g}; nadir {summary['nadir']['total']:,} "
        f"on day {summary['nadir']['day']})"
    )
    carried = ", ".join(f"{k} {v:,}" for k, v in last.items() if k != "total" and v)
    print(f"  final: {carried or 'no cells'}")
    if summary.get("regrowth"):
        shares = [(name, share) for name, share in summary["regrowth"]["by"].items() if share >= 0.005][:3]
        by = ", ".join(f"{name} {share:.0%}" for name, share in shares)
        print(f"  regrew after day {summary['regrowth']['from_day']} by {by} of the cells gained")
    model = summary["model"]
    if model.get("represents_cells") or model.get("mutation_scale", 1.0) != 1.0:
        print(
            f"  the lattice samples a tumour of {model.get('represents_cells') or model['initial_cells']:.3g} cells; "
            f"mutation rates x{model.get('mutation_scale', 1.0):g} (model.mutation_scale)"
        )
    timing = summary["timing"]
    speed = f"{timing['days_per_s']:,} days/s"
    if timing["cell_steps_per_s"]:
        speed += f", {timing['cell_steps_per_s']:,} cell-steps/s"
    print(f"  {timing['loop_s']:.2f} s ({speed})")
    print(f"  wrote {out / 'timeseries.csv'} and {out / 'summary.json'}")


def _parameters() -> int:
    from abm.biology.parameters import Parameters

    for row in Parameters.describe():
        print(f"{row['name']} = {row['default']!r}  [{row['allowed']}]")
        print(f"    {row['meaning']}")
        print(f"    source: {row['source']}")
    return 0


def _drugs() -> int:
    from abm.biology.drugs import DRUGS
    from abm.biology.pharmacokinetics import EC50_SOURCE, steady_exposures

    print(f"Exposure-response, unless a drug says otherwise: {EC50_SOURCE}")
    for drug in DRUGS.values():
        pk = drug.pk
        half_life = f"{pk.half_life_h:g} h" if pk.half_life_h < 240 else f"{pk.half_life_h / 24:.1f} days"
        route = "intravenous bolus" if pk.absorption_per_h is None else f"oral, ka {pk.absorption_per_h:g}/h"
        volume = "V" if pk.absorption_per_h is None else "V/F"
        # the day's exposure at steady state: 1.0 every day, or its swing over a cycle of a few days
        exposures = steady_exposures(pk)
        low, high = min(exposures), max(exposures)
        print(f"{drug.name}: {drug.drug_class}")
        print(f"    regimen     {pk.regimen}")
        average = pk.standard_average_mg_l * 1000.0  # ng/mL
        average_text = f"{average:.4g} ng/mL" if average < 1e4 else f"{average / 1000:.4g} ug/mL"
        print(
            f"    kinetics    half-life {half_life}; one compartment, {route}, {volume} {pk.volume_l:g} L; "
            f"Css,avg {average_text}"
        )
        if drug.blocks:
            swing = ""
            if len(exposures) > 1:  # the range of each distinct strength over the cycle
                strengths = dict.fromkeys(drug.blocks.values())
                ranges = ", ".join(f"{1 - (1 - b) ** low:.0%}-{1 - (1 - b) ** high:.0%}" for b in strengths)
                swing = f" (with pk, each day of its {len(exposures)}-day cycle: {ranges})"
            blocks = ", ".join(
                f"{route.value} {strength:.0%}" for route, strength in drug.blocks.items() if route not in drug.potency
            )
            print(f"    steady state  blocks {blocks}{swing}")
            for route, potency in drug.potency.items():
                at = {c: drug.block(route, drug.route_exposure(route, c)) for c in (1.0, 5.0, 50.0)}
                print(
                    f"    {route.value} only at high concentration: EC50 {potency.ec50:g} x Css,avg, Hill "
                    f"{potency.hill:g}: blocked {at[1.0]:.1%} at steady state, {at[5.0]:.1%} at 5x, "
                    f"{at[50.0]:.0%} at 50x"
                )
                print(f"                {potency.source}")
        if drug.cytotoxic:
            print(
                f"    steady state  blocks no route; kills dividing cells at {drug.cytotoxic:g}x the untreated "
                f"tumour's net growth at the standard exposure (Norton-Simon: < 1 slows a tumour, > 1 shrinks it; "
                f"with pk: exposure {high:.1f} on the day of a dose, {sorted(exposures)[-2]:.2f} "
                f"or less on the other {len(exposures) - 1} days of the cycle)"
            )
        print(f"    sources     action: {drug.source}")
        print(f"                pharmacokinetics: {pk.source}")
        print(f"                checked against: {pk.reference.source}")
        if pk.exposure_source != EC50_SOURCE:
            print(f"                exposure-response: {pk.exposure_source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
