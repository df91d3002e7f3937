"""The ``gctune`` command line: parses arguments and calls the library; no logic of its own."""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from orchestrator import console
from orchestrator.errors import GctuneError, UsageError


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM so cleanup (container removal) runs as for Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """gctune: find the Go GC settings that minimise GC CPU within a memory bound, by experiment."""


@cli.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False))
def validate(spec_path: str) -> None:
    """Check an experiment spec without running anything."""
    from orchestrator.app import validate_spec

    spec = validate_spec(Path(spec_path))
    console.stdout.print(f"{spec_path}: valid (experiment {spec.name!r})")


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write it to this file instead of printing it.")
def schema(out: str | None) -> None:
    """Print the spec's JSON Schema (draft 2020-12), for editors: gctune schema > gctune.schema.json."""
    from orchestrator.app import schema_text, write_schema

    if out:
        console.stdout.print(str(write_schema(Path(out))), soft_wrap=True)
    else:
        click.echo(schema_text(), nl=False)


@cli.command()
@click.argument("path", metavar="[PATH]", default=".", type=click.Path(file_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="The spec file to write (default PATH/gctune.yaml).")
@click.option("--builtin", is_flag=True, help="Write the quickstart of the built-in service instead.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: str, out: str | None, builtin: bool, force: bool) -> None:
    """Look at the Go module in PATH and write a commented spec for it (never over a file without --force)."""
    from orchestrator.app import init_spec

    result = init_spec(Path(path), Path(out) if out else None, builtin=builtin, force=force)
    console.stdout.print(f"wrote {result.path} ({result.workload})", soft_wrap=True)
    if result.module is not None:
        found = result.module
        benchmarks = sum(len(b.names) for b in found.benchmarks)
        console.stdout.print(f"found {len(found.mains)} main package(s) and {benchmarks} benchmark(s) in "
                             f"{found.root}", soft_wrap=True)
    console.stdout.print(f"next: gctune validate {result.path} && gctune run {result.path}", soft_wrap=True)


@cli.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Fix a setting for this trial, e.g. --set GOGC=50 --set GOMEMLIMIT=80%.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
@click.option("--out", type=click.Path(file_okay=False), help="Also keep the raw gctrace, JSON lines and metrics here.")
def trial(spec_path: str, overrides: tuple[str, ...], as_json: bool, out: str | None) -> None:
    """Run one configuration of SPEC in a container and print its metrics."""
    from orchestrator.app import run_single_trial

    with console.stderr.status("starting", spinner="dots") as status:
        outcome = run_single_trial(Path(spec_path), _parse_overrides(overrides), Path(out) if out else None,
                                   on_step=status.update)
    result = outcome.to_dict()
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        console.stdout.print(console.trial_table(result))


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options `gctune run` and `gctune nightly` share."""
    for option in reversed([
        click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False)),
        click.option("--results-dir", type=click.Path(file_okay=False), default="results", show_default=True,
                     help="Where run directories go: DIR/<spec name>/<run id>/."),
        click.option("--run-id", help="Name the run; an existing run of that id is resumed."),
        click.option("--resume", "resume", type=click.Path(exists=True, file_okay=False),
                     help="Continue the run in this run directory up to its trial budget."),
        click.option("--storage", help="Any Optuna storage URL (default: sqlite:///RUN_DIR/study.db)."),
        click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Trials at once on this host, each container pinned to its own ceil(cpus) cores."),
        click.option("--artifacts", metavar="PATH_OR_URL",
                     help="Where `gctune worker`s keep trial files: a folder all hosts mount, or s3://BUCKET "
                          "(default RUN_DIR/artifacts)."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON at the end."),
        click.option("--summary-md", type=click.Path(dir_okay=False),
                     help="Also write a short Markdown summary here (and to $GITHUB_STEP_SUMMARY when set)."),
    ]):
        command = option(command)
    return command


def _run_with_progress(spec_path: str, execute: Callable[..., Any]) -> Any:
    """Run a study with progress on the terminal and a resume hint when interrupted."""
    started: list[Path] = []

    def on_start(run_dir: Any) -> None:
        started.append(run_dir.root)
        console.stderr.print(f"run directory: {run_dir.root}")

    try:
        with console.StudyProgress() as progress:
            return execute(on_progress=progress.update, on_start=on_start, on_step=progress.step)
    except (KeyboardInterrupt, Terminated):
        if started:
            console.stderr.print(f"finished trials are kept; continue with: gctune run {spec_path} "
                                 f"--resume {started[0]}")
        raise


def _options(results_dir: str, run_id: str | None, resume: str | None, storage: str | None, jobs: int = 1,
             artifacts: str | None = None) -> Any:
    from orchestrator.app import RunOptions

    return RunOptions(Path(results_dir), run_id, Path(resume) if resume else None, storage, jobs, artifacts)


@cli.command()
@run_options
def run(spec_path: str, results_dir: str, run_id: str | None, resume: str | None, storage: str | None, jobs: int,
        artifacts: str | None, as_json: bool, summary_md: str | None) -> None:
    """Search the settings of SPEC: a baseline, then Optuna trials, then a recommendation."""
    from orchestrator.app import run_study, write_ci_summary

    options = _options(results_dir, run_id, resume, storage, jobs, artifacts)
    run_dir, summary = _run_with_progress(spec_path, lambda **kw: run_study(Path(spec_path), options, **kw))
    write_ci_summary(summary, Path(summary_md) if summary_md else None, str(run_dir.root / "report.html"))
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2, default=str))
    else:
        console.stdout.print(console.summary_text(summary, run_dir.root), soft_wrap=True)
        console.stdout.print(f"report: {run_dir.root / 'report.html'}", soft_wrap=True)


@cli.command()
@run_options
def nightly(spec_path: str, results_dir: str, run_id: str | None, resume: str | None, storage: str | None,
            jobs: int, artifacts: str | None, as_json: bool, summary_md: str | None) -> None:
    """One scheduled night: run, append to the history, compare with the last night (exit 3 on regression)."""
    from orchestrator.app import REGRESSION_EXIT, run_nightly, write_ci_summary

    options = _options(results_dir, run_id, resume, storage, jobs, artifacts)
    result = _run_with_progress(spec_path, lambda **kw: run_nightly(Path(spec_path), options, **kw))
    write_ci_summary(result.night, Path(summary_md) if summary_md else None)
    if as_json:
        click.echo(json.dumps(result.night.to_dict(), indent=2, default=str))
    else:
        console.stdout.print(console.night_text(result.night, result.run_dir.root), soft_wrap=True)
    if result.regression:
        raise SystemExit(REGRESSION_EXIT)


@cli.command()
@click.argument("run_dir", metavar="[RUN_DIR]", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--storage", help="The coordinator's Optuna storage URL (PostgreSQL for several hosts).")
@click.option("--study", help="The study: <spec name>/<run id>, as `gctune run` names it.")
@click.option("--engine", metavar="DOCKER_HOST_URL", help="Run trials on this Docker engine (default: DOCKER_HOST, "
                                                          "else the local socket).")
@click.option("--artifacts", metavar="PATH_OR_URL", help="The artifact store (default: the one the coordinator "
                                                         "recorded): a shared folder or s3://BUCKET.")
@click.option("--results-dir", type=click.Path(file_okay=False), default="results", show_default=True,
              help="This worker's files go to DIR/<spec name>/<run id>/worker-<host>-<pid>/.")
@click.option("--json", "as_json", is_flag=True, help="Print what the worker did as JSON at the end.")
def worker(run_dir: str | None, storage: str | None, study: str | None, engine: str | None, artifacts: str | None,
           results_dir: str, as_json: bool) -> None:
    """Join a run a coordinator started (`gctune run --storage URL`) and measure its trials here."""
    from orchestrator.app import WorkerOptions, run_worker

    options = WorkerOptions(Path(run_dir) if run_dir else None, storage, study, engine, artifacts, Path(results_dir))
    with console.StudyProgress() as progress:
        result = run_worker(options, on_progress=progress.update, on_step=progress.step)
    if as_json:
        click.echo(json.dumps({"study": result.study_name, "folder": str(result.folder),
                               "measured_here": result.measured_here, "measured": result.measured,
                               "budget": result.budget}, indent=2))
    else:
        console.stdout.print(f"{result.study_name}: {result.measured_here} trial(s) measured here; "
                             f"{result.measured} of {result.budget} in the study; files in {result.folder}",
                             soft_wrap=True)


@cli.command()
@click.argument("experiment_dir", metavar="RESULTS/NAME", type=click.Path(file_okay=False))
@click.option("--storage", help="The history's storage URL, when the spec's nightly.history names one.")
@click.option("--json", "as_json", is_flag=True, help="Print the nights as JSON (same as --format json).")
@click.option("--format", "output", type=click.Choice(["table", "json", "openmetrics"]), default="table",
              show_default=True, help="openmetrics: the latest night as gauges, for a Prometheus textfile collector.")
def history(experiment_dir: str, storage: str | None, as_json: bool, output: str) -> None:
    """One row per night: date, Go version, workload, recommendation, objective, baseline, verdict."""
    from orchestrator.app import history_openmetrics, read_history

    nights = read_history(Path(experiment_dir), storage)
    if output == "openmetrics":
        click.echo(history_openmetrics(nights), nl=False)
    elif as_json or output == "json":
        click.echo(json.dumps([n.to_dict() for n in nights], indent=2, default=str))
    else:
        console.stdout.print(console.history_table(nights))


@cli.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False))
@click.option("--format", "formats", default="html,md,json", show_default=True,
              help="Comma-separated: html (one self-contained page), md (with PNGs beside it), json.")
@click.option("--production-go", metavar="VERSION", help="The Go release production runs, e.g. 1.24, to warn "
                                                          "when the measurement used another.")
def report(run_dir: str, formats: str, production_go: str | None) -> None:
    """Write the recommendation report of a run directory (gctune run writes it too)."""
    from orchestrator.app import write_run_reports

    for path in write_run_reports(Path(run_dir), formats.split(","), production_go):
        console.stdout.print(str(path), soft_wrap=True)


@cli.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="The point to predict, e.g. --set GOGC=300 --set GOMEMLIMIT=70%.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def predict(run_dir: str, overrides: tuple[str, ...], as_json: bool) -> None:
    """Predict GC CPU, peak memory and GC cycles at a GOGC and GOMEMLIMIT from the run's GC cost model."""
    from orchestrator.app import predict_run

    result = predict_run(Path(run_dir), _parse_overrides(overrides)).to_dict()
    for reason in result["outside"]:
        console.stderr.print(f"warning: {reason}: the prediction is an extrapolation", soft_wrap=True)
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
    else:
        console.stdout.print(console.prediction_table(result))


@cli.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False))
@click.option("--format", "output", type=click.Choice(["benchstat"]), default="benchstat", show_default=True,
              help="benchstat: every repeat of the baseline and the recommendation in Go's benchmark format.")
@click.option("--out", type=click.Path(file_okay=False), help="The folder to write into (default RUN_DIR/benchstat).")
def export(run_dir: str, output: str, out: str | None) -> None:
    """Write a run's measurements for other tools: `benchstat baseline.txt recommended.txt`."""
    from orchestrator.app import export_benchstat

    for path in export_benchstat(Path(run_dir), Path(out) if out else None):
        console.stdout.print(str(path), soft_wrap=True)


@cli.group()
def schedule() -> None:
    """Run `gctune nightly SPEC` on a schedule: a systemd timer, or a crontab line under flock."""


@schedule.command("install")
@click.argument("spec_path", metavar="SPEC", type=click.Path(dir_okay=False))
@click.option("--at", "at", metavar="HH:MM", help="Every day at this local time, e.g. --at 02:00.")
@click.option("--cron", "cron", metavar="EXPR", help="A five-field cron expression, e.g. --cron '0 2 * * *'.")
@click.option("--backend", type=click.Choice(["cron", "systemd"]),
              help="Where to keep the job (default: systemd where it runs, else cron).")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
@click.argument("nightly_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- NIGHTLY_ARGS...]")
def schedule_install(spec_path: str, at: str | None, cron: str | None, backend: str | None, as_json: bool,
                     nightly_args: tuple[str, ...]) -> None:
    """Schedule `gctune nightly SPEC NIGHTLY_ARGS`; a job of the same spec name is replaced."""
    from orchestrator import schedule as scheduling

    job = scheduling.install(spec_path, cron=cron, at=at, extra_args=list(nightly_args), backend=backend)
    if as_json:
        click.echo(json.dumps(job.to_dict(), indent=2))
    else:
        click.echo(f"scheduled {job.name}\n{console.job_text(job)}")
    for problem in scheduling.problems(job.backend):
        click.echo(f"gctune: warning: {problem}", err=True)


@schedule.command("list")
@click.option("--backend", type=click.Choice(["cron", "systemd"]), help="Only this backend (default: every one).")
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as a JSON list.")
def schedule_list(backend: str | None, as_json: bool) -> None:
    """List gctune's scheduled jobs with their next run times."""
    from orchestrator import schedule as scheduling

    jobs = scheduling.list_jobs(backend)
    if as_json:
        click.echo(json.dumps([job.to_dict() for job in jobs], indent=2))
        return
    if not jobs:
        click.echo("no gctune job is scheduled")
    for index, job in enumerate(jobs):
        click.echo(("\n" if index else "") + f"{job.name}\n{console.job_text(job)}")


@schedule.command("remove")
@click.argument("name")
@click.option("--backend", type=click.Choice(["cron", "systemd"]), help="Only this backend (default: every one).")
def schedule_remove(name: str, backend: str | None) -> None:
    """Remove the job NAME (gctune-<spec name>, or just the spec name)."""
    from orchestrator import schedule as scheduling

    scheduling.remove(name, backend)
    click.echo(f"removed {name if name.startswith('gctune-') else 'gctune-' + name}")


@cli.group()
def parse() -> None:
    """Parse raw output offline."""


@parse.command("gctrace")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def parse_gctrace_cmd(file: str, as_json: bool) -> None:
    """Summarise a GODEBUG=gctrace=1 log (any Go release 1.19-1.27)."""
    from orchestrator.app import gctrace_summary

    summary = gctrace_summary(Path(file))
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        console.stdout.print(console.key_value_table(f"gctrace {file}", summary))


@cli.command()
def doctor() -> None:
    """Check the Docker engine and the Go toolchain, and say what to do about anything missing."""
    from orchestrator.app import run_checks

    checks = run_checks()
    for check in checks:
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        console.stdout.print(f"{mark} {check.name}: {check.detail}")
        if not check.ok and check.fix:
            console.stdout.print(f"      fix: {check.fix}")
    if not all(c.ok for c in checks):
        raise SystemExit(1)


def _parse_overrides(items: tuple[str, ...]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set {item!r}: expected NAME=VALUE, e.g. --set GOGC=50")
        pairs[name.strip()] = value.strip()
    return pairs


DEBUG_ENV = "GCTUNE_DEBUG"  # set to 1 to see the traceback of an unexpected error


def main(argv: list[str] | None = None) -> Any:
    """Entry point: typed errors become a one-line message and their exit code, never a traceback.

    Bad input is refused where it is read, as a typed error (exit 2). Anything else is a bug in
    gctune: it still exits 1, with one line saying so and the traceback only under GCTUNE_DEBUG=1."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return cli.main(args=argv, prog_name="gctune", standalone_mode=False)
    except GctuneError as exc:
        click.echo(f"gctune: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("gctune: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("gctune: interrupted", err=True)
        sys.exit(130)
    except Terminated:
        click.echo("gctune: terminated", err=True)
        sys.exit(143)
    except Exception as exc:  # noqa: BLE001 - the last resort: a bug, reported in one line
        if os.environ.get(DEBUG_ENV) == "1":
            traceback.print_exc()
        click.echo(f"gctune: internal error: {_one_line(exc)} (a bug in gctune; run again with "
                   f"{DEBUG_ENV}=1 to see where)", err=True)
        sys.exit(1)


def _one_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` on one line, cut to ``limit`` characters."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else f"{text[:limit]}..."
