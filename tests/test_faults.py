"""The fault suite (issue 12): what the engine, the disk, a signal or the workload does to gctune.

Every fault must end in a recorded outcome or a clear one-line message with its exit code, never a
traceback, a lost trial, a trial measured twice or a container left behind. Each test records its row
of RELIABILITY.md (``scripts/reliability`` runs this file and rewrites the table from the results).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker
import optuna
import pytest
from optuna.trial import TrialState

from conftest import DATA, ROOT, containers_of, gctune
from engines import second_engine  # noqa: F401 - a fixture: a second dockerd of the test's own

RELIABILITY_CLASS = "fault"  # the class of this file's rows in RELIABILITY.md
NO_ENGINE = "unix:///nonexistent"
CAP = 32 * 2**20  # orchestrator.runners._output.MAX_STREAM_BYTES, repeated so a change shows here

# The smallest real study: the built-in service, one repeat, four trials of about a second.
SERVICE_SPEC = """
name: {name}
workload: {{builtin: service, live_heap: 8MiB, warmup: 200ms, duration: 800ms, sample_interval: 200ms}}
container: {{cpus: 1, memory: 128MiB}}
space:
  GOGC: {{low: 25, high: 400, log: true}}
  GOMEMLIMIT: [none, 60%, 90%]
search: {{trials: {trials}, seed: 11, repeats: 1}}
"""

# The probe as the user's own program, stopped as planned after `duration` (a SIGTERM it does not handle).
PROBE_STUDY = """
name: {name}
workload: {{go_package: ./probe, args: [spin], warmup: 100ms, duration: {duration}}}
container: {{cpus: 1, memory: 512MiB}}
space:
  GOGC: {{low: 25, high: 400, log: true}}
search: {{trials: {trials}, seed: 5, repeats: 1}}
"""


class Row:
    """This test's row of RELIABILITY.md, kept in the JUnit XML as properties."""

    def __init__(self, record: Callable[[str, object], None]) -> None:
        self.record = record

    def expect(self, fault: str, expected: str) -> None:
        self.record("reliability_class", RELIABILITY_CLASS)
        self.record("reliability_fault", fault)
        self.record("reliability_expected", expected)

    def observe(self, observed: str) -> None:
        self.record("reliability_observed", observed)


@pytest.fixture
def row(record_property) -> Row:
    return Row(record_property)


def write(folder: Path, template: str, name: str, **values: object) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(template.format(name=name, **values))
    return path


def with_probe(folder: Path, unique: str = "") -> Path:
    """A copy of the probe module beside the specs (a unique comment forces a fresh build)."""
    target = folder / "probe"
    if not target.exists():
        shutil.copytree(DATA / "probe", target)
    if unique:
        main = target / "main.go"
        main.write_text(main.read_text() + f"\n// build {unique}\n")
    return folder


def summary_of(run_dir: Path) -> dict:
    path = run_dir / "summary.json"
    return json.loads(path.read_text()) if path.exists() else {}


def study_of(run_dir: Path) -> optuna.Study:
    summary = summary_of(run_dir)
    return optuna.load_study(study_name=summary["study_name"], storage=summary["storage"])


def measured(study: optuna.Study) -> list:
    """Trials that measured a configuration (not a repeated proposal, an interruption or an engine failure)."""
    cut = set(study.user_attrs.get("interrupted_trials", []))
    return [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.FAIL) and t.number not in cut
            and t.user_attrs.get("outcome") not in ("repeated", "interrupted", "engine")]


def assert_budget_of_distinct_trials(run_dir: Path, budget: int) -> dict:
    """The run ended with exactly ``budget`` measured trials, each of its own configuration."""
    summary = summary_of(run_dir)
    assert summary["finished"] is True
    configurations = [json.dumps(t["params"], sort_keys=True) for t in summary["trials"] if t["outcome"] != "engine"]
    assert len(configurations) == budget == len(set(configurations)), configurations
    trials = measured(study_of(run_dir))
    assert len(trials) == budget, [(t.number, t.state, t.user_attrs.get("outcome")) for t in trials]
    assert len({json.dumps(t.user_attrs["settings"], sort_keys=True) for t in trials}) == budget
    return summary


def assert_kept(before: dict, after: dict) -> None:
    """Every trial finished before the fault is in the later summary, unchanged."""
    later = {t["trial"]: t for t in after.get("trials", [])}
    for trial in before.get("trials", []):
        assert later.get(trial["trial"], {}).get("metrics") == trial["metrics"], f"trial {trial['trial']} changed"


def brief(text: str, limit: int = 240, **paths: Path) -> str:
    """A message for the table: the test's folders by their role (RUN_DIR, RESULTS), cut to ``limit``."""
    text = " ".join(text.split())
    for role, path in paths.items():
        text = text.replace(str(path), role.upper())
    return text if len(text) <= limit else text[:limit] + "..."


def no_traceback(stderr: str) -> None:
    """No traceback, and no unexpected error either (the CLI reports one as "internal error" in one line)."""
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-3000:]


class Background:
    """A ``gctune`` command running in its own session (so SIGINT can go to its process group, as Ctrl-C
    does), its output in files that can be read while it runs."""

    started: list[subprocess.Popen] = []  # every one, so a failed test leaves none running

    def __init__(self, folder: Path, *args: str, env: dict[str, str] | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.err_path = Path(tempfile.mkstemp(dir=folder, prefix="stderr-")[1])
        self.out_path = self.err_path.with_name(self.err_path.name.replace("stderr-", "stdout-"))
        with open(self.err_path, "w") as err, open(self.out_path, "w") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "orchestrator", *args], cwd=ROOT, stdout=out,
                                            stderr=err, env={**os.environ, "COLUMNS": "200", **(env or {})},
                                            start_new_session=True)
        self.pid = self.process.pid
        Background.started.append(self.process)

    @property
    def stderr(self) -> str:
        return self.err_path.read_text()

    def until(self, predicate: Callable[[], object], timeout_s: float = 120, poll_s: float = 0.05) -> bool:
        """Wait for ``predicate``; False when the process ended first."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if predicate():
                return True
            if self.process.poll() is not None:
                return bool(predicate())
            time.sleep(poll_s)
        raise AssertionError(f"timed out; stderr so far:\n{self.stderr[-3000:]}")

    def send(self, signum: int, group: bool = False) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signum) if group else os.kill(self.pid, signum)

    def wait(self, timeout_s: float = 120) -> int:
        return self.process.wait(timeout=timeout_s)


@pytest.fixture(autouse=True)
def _no_gctune_left_running():
    yield
    while Background.started:
        process = Background.started.pop()
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def descendants(pid: int) -> list[str]:
    """The command lines of every process below ``pid``."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += [commands[child] for child in children]
        frontier += children
    return found


# --- the engine ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["run", "trial"])
def test_no_engine_at_start_is_a_clear_message_and_exit_1(tmp_path, row, command):
    row.expect(f"no Docker engine at start (`DOCKER_HOST={NO_ENGINE} gctune {command}`)",
               "exit 1 within seconds, one message naming the address and what to do, no traceback")
    spec = write(tmp_path, SERVICE_SPEC, "noengine", trials=4)
    extra = ["--results-dir", str(tmp_path / "results")] if command == "run" else []
    started = time.time()
    result = gctune(command, str(spec), *extra, env={"DOCKER_HOST": NO_ENGINE}, timeout=60)
    took = time.time() - started
    assert result.returncode == 1, result.stderr
    no_traceback(result.stderr)
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and f"no Docker engine answers at {NO_ENGINE}" in message[0], message
    assert "start a Docker engine" in message[0] and took < 30
    assert not list((tmp_path / "results").rglob("*")), "a run that could not start leaves no folder behind"
    row.observe(f"exit 1 after {took:.1f}s: {brief(message[0], 200)}")


@pytest.mark.docker
@pytest.mark.slow
def test_an_engine_restart_mid_study_loses_no_trial(tmp_path, row, second_engine):
    row.expect("the Docker engine killed and started again during a trial",
               "the trial is recorded as an engine failure and run again (or the study stops with a resume hint); "
               "no finished trial lost; the budget is reached")
    spec = write(with_probe(tmp_path), PROBE_STUDY, "restart", trials=3, duration="1500ms")
    run_dir = tmp_path / "results" / "restart" / "r"
    env = {"DOCKER_HOST": second_engine.host}
    run = Background(tmp_path, "run", str(spec), "--results-dir", str(tmp_path / "results"), "--run-id", "r",
                     env=env)
    engine = second_engine.client()

    def trial_running() -> bool:
        return len(summary_of(run_dir).get("trials", [])) >= 1 and bool(
            engine.containers.list(filters={"label": "gctune.run=r"}))

    assert run.until(trial_running, timeout_s=240), run.stderr
    before = summary_of(run_dir)
    second_engine.kill()
    second_engine.start()
    code = run.wait(timeout_s=240)
    no_traceback(run.stderr)
    if code != 0:  # the study stopped: it must say how to go on, and going on must reach the budget
        assert code == 1 and "--resume" in run.stderr, run.stderr
        resumed = gctune("run", str(spec), "--resume", str(run_dir), env=env, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
    summary = assert_budget_of_distinct_trials(run_dir, 3)
    assert_kept(before, summary)
    outcomes = [t["outcome"] for t in summary["trials"]]
    assert "crash" not in outcomes, summary["trials"]  # an engine restart is not the workload's crash
    engine_failures = [t for t in summary["trials"] if t["outcome"] == "engine"]
    assert containers_of(second_engine.client(), "r") == []
    if code == 0:
        assert engine_failures and "engine" in engine_failures[0]["reason"], summary["trials"]
        row.observe(f"the cut trial recorded as an engine failure ({brief(engine_failures[0]['reason'], 150)}) and "
                    f"run again; {len(before['trials'])} earlier trial(s) kept; 3 of 3 measured; no container left")
    else:
        row.observe(f"the study stopped (exit 1, resume hint); the resume reached 3 of 3; "
                    f"{len(before['trials'])} earlier trial(s) kept; no container left")


# --- the results folder --------------------------------------------------------------------------------------

@pytest.fixture
def small_fs(tmp_path):
    """A 16 MiB tmpfs the test can fill or make read-only (chmod does not stop root; a read-only mount does)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a file system")
    mount = tmp_path / "fs"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Take every free byte of the file system holding ``folder``."""
    filler = folder / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


@pytest.mark.docker
@pytest.mark.slow
def test_a_full_results_folder_stops_the_study_clearly_and_it_resumes_once_freed(tmp_path, row, small_fs):
    row.expect("the results folder's file system fills up during a study (a tmpfs filled by the test)",
               "exit 1 with one message naming the folder and 'No space left on device' and a resume hint; "
               "the study stays consistent; it resumes to the budget once space is freed")
    spec = write(with_probe(tmp_path), PROBE_STUDY, "full", trials=3, duration="1s")
    run_dir = small_fs / "results" / "full" / "r"
    run = Background(tmp_path, "run", str(spec), "--results-dir", str(small_fs / "results"), "--run-id", "r")
    assert run.until(lambda: len(summary_of(run_dir).get("trials", [])) >= 1, timeout_s=180), run.stderr
    filler = fill(small_fs)
    before = summary_of(run_dir)
    code = run.wait(timeout_s=120)
    no_traceback(run.stderr)
    assert code == 1, run.stderr
    message = run.stderr.strip().splitlines()[-1]
    assert "No space left on device" in message or "disk is full" in message, run.stderr
    assert f"--resume {run_dir}" in message and str(run_dir) in message
    assert containers_of(docker.from_env(), "r") == []
    assert_kept(before, summary_of(run_dir))  # summary.json is whole: the old one or a new one
    filler.unlink()
    resumed = gctune("run", str(spec), "--resume", str(run_dir), timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    after = assert_budget_of_distinct_trials(run_dir, 3)
    assert_kept(before, after)
    row.observe(f"exit 1: {brief(message, run_dir=run_dir)}; after freeing, the resume reached 3 of 3 with "
                f"{len(before['trials'])} earlier trial(s) kept")


@pytest.mark.docker
@pytest.mark.slow
def test_a_read_only_results_folder_is_a_clear_message_and_the_run_resumes_once_writable(tmp_path, row, small_fs):
    row.expect("the results folder is read-only (a read-only remount): a new run, and the resume of a run",
               "exit 1 with one message naming the folder and 'Read-only file system', nothing changed; the run "
               "resumes to the budget once writable")
    spec = write(with_probe(tmp_path), PROBE_STUDY, "readonly", trials=2, duration="1s")
    results = small_fs / "results"
    run_dir = results / "readonly" / "r"
    run = Background(tmp_path, "run", str(spec), "--results-dir", str(results), "--run-id", "r")
    assert run.until(lambda: len(summary_of(run_dir).get("trials", [])) >= 1, timeout_s=180), run.stderr
    run.send(signal.SIGKILL)
    run.wait()
    before = summary_of(run_dir)
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    try:
        fresh = gctune("run", str(spec), "--results-dir", str(results), "--run-id", "new", timeout=120)
        resumed = gctune("run", str(spec), "--resume", str(run_dir), timeout=120)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)
    for result in (fresh, resumed):
        no_traceback(result.stderr)
        assert result.returncode == 1, result.stderr
        assert "Read-only file system" in result.stderr and str(results) in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert summary_of(run_dir) == before
    again = gctune("run", str(spec), "--resume", str(run_dir), timeout=300)
    assert again.returncode == 0, again.stderr
    assert_kept(before, assert_budget_of_distinct_trials(run_dir, 2))
    row.observe(f"new run: {brief(fresh.stderr, results=results)}; resume: "
                f"{brief(resumed.stderr, run_dir=run_dir, results=results)}; nothing changed; writable again, "
                "the resume reached 2 of 2")


# --- signals -------------------------------------------------------------------------------------------------

@pytest.mark.docker
@pytest.mark.slow
def test_sigkill_at_20_random_moments_then_resume_measures_the_budget_exactly_once(tmp_path, row, docker_client):
    row.expect("`gctune run` SIGKILLed at 20 random moments (seeded), each followed by a resume",
               "exactly the budget of distinct finished trials, no configuration measured twice, no container "
               "of the run left once the next run has started")
    rng = random.Random(20261202)
    spec = write(tmp_path, SERVICE_SPEC, "killed", trials=4)
    results, run_dir = tmp_path / "results", tmp_path / "results" / "killed" / "k"
    command = ("run", str(spec), "--results-dir", str(results), "--run-id", "k")
    build_first(spec, docker_client)  # else every early kill cuts the same build and no trial is reached
    stages: Counter[str] = Counter()
    reaped_checks = 0
    for _ in range(20):
        run = Background(tmp_path / "logs", *command)
        # A fifth of the kills while it starts (run folder, lock, storage, engine). The rest are timed from
        # its next container (the baseline's or a trial's, ~1.2s, then the trial is told and the summary
        # written), or, once every trial is done, from its start of work: the report. Timed from events, not
        # from the start, so a slow machine moves the kills with the work instead of before it.
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0.1, 2.0))
        elif run.until(lambda: "run directory:" in run.stderr, timeout_s=60):
            # Its engine connection reaped the killed predecessors' containers: only its own may exist.
            owners = {c.labels.get("gctune.pid") for c in containers_of(docker_client, "k")}
            assert owners <= {str(run.pid)}, owners
            reaped_checks += 1
            run.until(lambda: summary_of(run_dir).get("finished") or docker_client.containers.list(
                filters={"label": f"gctune.pid={run.pid}"}), timeout_s=120)
            time.sleep(rng.uniform(0.0, 3.0))
        stages[_kill_stage(run, run_dir, docker_client)] += 1
        run.send(signal.SIGKILL)
        code = run.wait()
        assert code in (0, -signal.SIGKILL), run.stderr  # never a crash of its own, e.g. a spec cut short
    final = gctune(*command, "--json", timeout=300)
    assert final.returncode == 0, final.stderr
    assert_budget_of_distinct_trials(run_dir, 4)
    assert containers_of(docker_client, "k") == []
    study = study_of(run_dir)
    repeated = sum(1 for t in study.trials if t.user_attrs.get("outcome") == "repeated")
    cut = len(study.user_attrs.get("interrupted_trials", []))
    work = stages["in the baseline"] + stages["in a trial"] + stages["between trials"]
    assert work >= 5, stages  # the kills hit the study's measuring, not only its start and its end
    row.observe(f"20 kills ({', '.join(f'{n} {stage}' for stage, n in stages.items())}), then 4 of 4 distinct "
                f"trials; {cut} cut trial(s) run again, {repeated} repeated proposal(s) told the earlier result; "
                f"the killed runs' containers gone at each restart ({reaped_checks} checked) and at the end")


def build_first(spec: Path, client) -> None:
    """The spec's image, built (or found) before the runs start."""
    from orchestrator.spec import baseline_settings, load_spec
    from orchestrator.workloads import WorkloadImages

    loaded = load_spec(spec)
    WorkloadImages(loaded, client).for_settings(baseline_settings(loaded))


def _kill_stage(run: Background, run_dir: Path, client) -> str:
    """Where a run is as it is killed, for the record."""
    if run.process.poll() is not None:
        return "after it ended"
    if "run directory:" not in run.stderr:
        return "while starting"
    if summary_of(run_dir).get("finished"):
        return "after the trials"
    if not (run_dir / "baseline" / "trial.json").exists():
        return "in the baseline"
    running = client.containers.list(filters={"label": f"gctune.pid={run.pid}"})
    return "in a trial" if running else "between trials"


SIGNALS = {"SIGTERM": (signal.SIGTERM, 143), "SIGINT": (signal.SIGINT, 130)}
STAGES = ("build", "baseline", "trial", "report")


def _report_time(run_dir: Path) -> float:
    path = run_dir / "report.html"
    return path.stat().st_mtime if path.exists() else 0.0


def _stage_reached(stage: str, run: Background, run_dir: Path, client, report_before: float) -> bool:
    """Whether the run is in ``stage`` now ("trial": the second one, so one finished trial can be lost;
    "report": every trial done, the report not yet rewritten - an interrupted run writes one too)."""
    if stage == "build":
        return any(" build " in command for command in descendants(run.pid))
    own = client.containers.list(filters={"label": f"gctune.pid={run.pid}"})
    baseline_done = (run_dir / "baseline" / "trial.json").exists()
    if stage == "baseline":
        return bool(own) and not baseline_done
    if stage == "trial":
        return bool(own) and len(summary_of(run_dir).get("trials", [])) >= 1
    return summary_of(run_dir).get("finished") is True and _report_time(run_dir) == report_before


@dataclass
class Signalled:
    """One stage of a run that got a signal: what it left, and the resume that followed."""

    reached: bool
    stderr: str = ""
    code: int | None = None
    before: dict = field(default_factory=dict)  # the summary just before the signal
    after: dict = field(default_factory=dict)   # the summary just after the run ended
    left: list = field(default_factory=list)    # containers of the run after it ended


@dataclass
class SignalChain:
    """A run signalled in each stage in turn, each time resumed, then finished by a last resume."""

    spec: Path
    run_dir: Path
    stages: dict[str, Signalled]
    final: subprocess.CompletedProcess[str] | None = None


def _signal_every_stage(folder: Path, name: str, client) -> SignalChain:
    """Build, baseline, second trial, report: start (or resume) the run, signal it there, go on. One run per
    signal keeps the suite short; each stage still has its own test."""
    signum = SIGNALS[name][0]
    spec = write(with_probe(folder, unique=f"{name}-{time.time_ns()}"), PROBE_STUDY, "signal", trials=2,
                 duration="600ms")
    run_dir = folder / "results" / "signal" / "s"
    chain = SignalChain(spec, run_dir, {})
    for stage in STAGES:
        args = ("--resume", str(run_dir)) if run_dir.exists() else ("--results-dir", str(folder / "results"),
                                                                    "--run-id", "s")
        report_before = _report_time(run_dir)
        run = Background(folder / "logs", "run", str(spec), *args)
        if not run.until(lambda: _stage_reached(stage, run, run_dir, client, report_before), timeout_s=180,
                         poll_s=0.02):
            chain.stages[stage] = Signalled(False, run.stderr, run.wait())
            return chain
        before = summary_of(run_dir)
        run.send(signum, group=name == "SIGINT")  # Ctrl-C reaches the whole process group, go build too
        code = run.wait(timeout_s=60)
        chain.stages[stage] = Signalled(True, run.stderr, code, before, summary_of(run_dir),
                                        containers_of(client, "s"))
    chain.final = gctune("run", str(spec), "--resume", str(run_dir), timeout=300)
    return chain


@pytest.fixture(scope="module")
def signal_chains(tmp_path_factory, docker_client) -> Callable[[str], SignalChain]:
    chains: dict[str, SignalChain] = {}

    def chain(name: str) -> SignalChain:
        if name not in chains:
            chains[name] = _signal_every_stage(tmp_path_factory.mktemp(f"signal-{name}"), name, docker_client)
        return chains[name]

    return chain


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("name", list(SIGNALS))
def test_a_signal_in_any_stage_exits_with_its_code_a_resume_hint_and_no_container(signal_chains, row, stage, name):
    exit_code = SIGNALS[name][1]
    how = "to the process group, as Ctrl-C" if name == "SIGINT" else "to gctune"
    what = {"build": "the image build (`go build`)", "baseline": "the baseline", "trial": "the second trial",
            "report": "the report"}[stage]
    row.expect(f"{name} ({how}) during {what}",
               f"exit {exit_code}, a resume hint, no container left, finished trials kept; the resume goes on")
    chain = signal_chains(name)
    got = chain.stages.get(stage)
    assert got is not None and got.reached, f"the run ended before its {stage}: {got.stderr if got else ''}"
    no_traceback(got.stderr)
    assert got.code == exit_code, got.stderr
    assert f"continue with: gctune run {chain.spec} --resume {chain.run_dir}" in " ".join(got.stderr.split()), \
        got.stderr
    assert got.left == []
    assert_kept(got.before, got.after)
    if stage == "trial":
        assert len(got.before["trials"]) == 1  # the first trial finished before the signal: it must stay
    later = STAGES[STAGES.index(stage) + 1:]
    for following in later:  # the resume after this stage went on to the next one
        assert chain.stages[following].reached
    assert chain.final is not None and chain.final.returncode == 0, chain.final.stderr if chain.final else ""
    final = assert_budget_of_distinct_trials(chain.run_dir, 2)
    assert_kept(got.before, final)
    assert (chain.run_dir / "report.html").exists()
    row.observe(f"exit {got.code}, resume hint, no container; {len(got.before.get('trials', []))} finished "
                f"trial(s) kept; the resumes reached 2 of 2")


# --- the workload --------------------------------------------------------------------------------------------

# mode -> (what the probe does, container limits, expected outcome, a pattern its reason must match)
WORKLOAD_FAULTS = {
    "panic": ("panics", "timeout: 30s", "crash", r"^exit code 2: panic: probe: deliberate panic$"),
    "hang": ("hangs (sleeps, ignoring SIGTERM)", "timeout: 3s", "timeout", r"^killed at the trial timeout$"),
    "flood": ("floods stdout and stderr with 48 MiB each", "timeout: 60s", "ok", r"^$"),
    "fork": ("forks until the pids limit", "timeout: 30s, pids_limit: 32", "crash",
             r"^exit code \d+: .*(resource temporarily unavailable|failed to create new OS thread)"),
    "network": ("dials an outside address", "timeout: 30s", "crash", r"^exit code 4: .*network is unreachable"),
    "writeroot": ("writes to its root file system", "timeout: 30s", "crash",
                  r"^exit code 5: probe: write /: .*read-only file system"),
    "alloc": ("allocates until the OOM kill", "timeout: 30s", "oom", r"^OOM-killed \(.+\)$"),
}


@pytest.fixture(scope="module")
def probe_home(tmp_path_factory):
    """One copy of the probe for every workload fault, so its image is built once."""
    return with_probe(tmp_path_factory.mktemp("probe-faults"))


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("mode", list(WORKLOAD_FAULTS))
def test_a_misbehaving_workload_is_a_recorded_outcome_with_its_reason(probe_home, tmp_path, row, docker_client,
                                                                      mode):
    from orchestrator.app import run_single_trial
    from orchestrator.search import classify

    does, limits, outcome_name, reason_pattern = WORKLOAD_FAULTS[mode]
    row.expect(f"a workload that {does} (`gctune trial` of a go_package)",
               f"outcome {outcome_name}" + (f", reason matching /{reason_pattern}/" if reason_pattern != "^$" else "")
               + ("; each stream kept to 32 MiB with the cut marked" if mode == "flood" else "")
               + "; no container left")
    spec = probe_home / f"fault-{mode}.yaml"
    args = '[flood, "48"]' if mode == "flood" else f"[{mode}]"
    spec.write_text(f"name: fault-{mode}\nworkload: {{go_package: ./probe, args: {args}}}\n"
                    f"container: {{cpus: 1, memory: 64MiB, {limits}}}\n")
    out = tmp_path / "trial"
    started = time.time()
    outcome = run_single_trial(spec, {}, out)
    took = time.time() - started
    name, reason = classify(outcome)
    assert (name, bool(re.search(reason_pattern, reason))) == (outcome_name, True), (name, reason, outcome.run.stderr[-2000:])
    assert containers_of(docker_client, outcome.run_id) == []
    recorded = json.loads((out / "metrics.json").read_text())
    assert recorded["exit_code"] == outcome.run.exit_code and recorded["oom_killed"] == (mode == "alloc")
    if mode == "hang":
        assert recorded["timed_out"] and took < 20
    if mode == "flood":
        for stream in ("gctrace.txt", "workload.jsonl"):
            text = (out / stream).read_text()
            assert CAP <= len(text) <= CAP + 200 and "gctune: output cut here" in text.splitlines()[-1]
    row.observe(f"{name}" + (f": {reason[:120]}" if reason else "") + f" ({took:.1f}s)"
                + ("; both streams cut at 32 MiB, marked" if mode == "flood" else ""))
