"""``gctune schedule``: real crontabs of a throwaway user, cron syntax as Debian's cron reads it, systemd units.

The crontab tests never touch the real user's crontab: they create a throwaway user with useradd
(removed, with its crontab, when the test ends, and left-overs of killed runs on the next run) and
point GCTUNE_CRONTAB at a wrapper that runs ``crontab -u <that user>``.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import ROOT, gctune_in_process
from orchestrator.errors import GctuneError, SpecError, UsageError
from orchestrator.schedule import (
    MARKER, CronScheduler, ScheduledJob, SystemdScheduler, at_to_cron, detect_backend, gctune_command,
    install, list_jobs, parse_cron, remove, render_cron_line, render_units, systemd_running,
)

USER_PREFIX = "gctune-t"
_THROWAWAY = re.compile(rf"^{USER_PREFIX}(\d+)-[0-9a-f]{{4}}$")
UNRELATED = ['MAILTO=""', "# nightly backup of /home, not gctune's", "15 3 * * * /usr/bin/backup --all 50%"]


# --- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def crontab_command() -> str:
    """The real crontab command; scripts/ensure-cron installs Debian's cron when it is missing."""
    if os.geteuid() != 0:
        pytest.skip("needs root: installs cron if missing, and a throwaway user owns the crontab under test")
    result = subprocess.run([str(ROOT / "scripts" / "ensure-cron")], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"scripts/ensure-cron failed:\n{result.stderr}"
    path = result.stdout.strip().splitlines()[-1]
    assert Path(path).name == "crontab" and os.access(path, os.X_OK)
    return path


def _drop_user(name: str) -> None:
    subprocess.run(["crontab", "-u", name, "-r"], capture_output=True, timeout=30)
    subprocess.run(["userdel", name], capture_output=True, timeout=30)


def _reap_stale_users() -> None:
    """Remove throwaway users of test processes that died before their cleanup ran."""
    for line in Path("/etc/passwd").read_text().splitlines():
        match = _THROWAWAY.match(line.split(":", 1)[0])
        if match and not Path("/proc", match[1]).exists():
            _drop_user(match[0])


@pytest.fixture
def throwaway_user(crontab_command: str):
    """A user that exists only for this test, so that its crontab can be written for real."""
    if os.geteuid() != 0:
        pytest.skip("needs root: a throwaway user owns the crontab under test")
    _reap_stale_users()
    name = f"{USER_PREFIX}{os.getpid()}-{secrets.token_hex(2)}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True, timeout=30)
    try:
        yield name
    finally:
        _drop_user(name)
        assert subprocess.run(["id", name], capture_output=True).returncode != 0, f"user {name} is left over"
        assert not Path("/var/spool/cron/crontabs", name).exists(), f"crontab of {name} is left over"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Logs, locks and systemd units under tmp_path; no crontab unless a test asks for one."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("GCTUNE_SYSTEMD_UNIT_DIR", str(tmp_path / "units"))
    monkeypatch.setenv("GCTUNE_CRONTAB", str(tmp_path / "no-crontab-configured"))
    return tmp_path


@pytest.fixture
def user_crontab(env: Path, throwaway_user: str, crontab_command: str, monkeypatch: pytest.MonkeyPatch):
    """GCTUNE_CRONTAB = a wrapper running ``crontab -u <throwaway user>``; returns a reader of it."""
    wrapper = env / "crontab-wrapper"
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(crontab_command)} -u {throwaway_user} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("GCTUNE_CRONTAB", str(wrapper))

    def read() -> list[str]:
        result = subprocess.run([str(wrapper), "-l"], capture_output=True, text=True, timeout=30)
        return result.stdout.splitlines() if result.returncode == 0 else []

    def write(lines: list[str]) -> None:
        subprocess.run([str(wrapper), "-"], input="".join(f"{line}\n" for line in lines), text=True,
                       check=True, timeout=30)

    read.write = write  # type: ignore[attr-defined]
    return read


@pytest.fixture
def spec(env: Path) -> Path:
    """A valid spec named nightly-test, in a folder whose name needs quoting (a space and a %)."""
    folder = env / "my specs 100%"
    folder.mkdir()
    path = folder / "nightly.yaml"
    text = (ROOT / "experiments" / "quickstart.yaml").read_text()
    path.write_text(re.sub(r"(?m)^name:.*$", "name: nightly-test", text, count=1))
    return path


def _ours(lines: list[str]) -> list[str]:
    return [line for line in lines if MARKER in line]


# --- the real crontab --------------------------------------------------------------------------------
def test_install_list_reinstall_and_remove_in_a_real_crontab(user_crontab, spec: Path, env: Path):
    user_crontab.write(UNRELATED)
    job = install(spec, at="02:00", extra_args=["--trials", "3"], backend="cron")

    assert job.name == "gctune-nightly-test" and job.backend == "cron" and job.cron == "0 2 * * *"
    assert job.command[1:] == ("nightly", str(spec), "--trials", "3")
    assert Path(job.command[0]).is_absolute() and job.workdir == str(spec.parent)
    assert job.log_path == str(env / "state" / "gctune" / "gctune-nightly-test.log")
    assert (env / "state" / "gctune").is_dir()

    lines = user_crontab()
    assert lines[:3] == UNRELATED, "the other lines of the crontab must stay untouched"
    [line] = _ours(lines)
    assert line.startswith("0 2 * * * ")
    assert "flock -n" in line
    assert shlex.quote(str(spec)).replace("%", "\\%") in line  # absolute, quoted, % escaped for cron
    assert line.endswith(f"# {MARKER} gctune-nightly-test")

    [listed] = list_jobs()
    assert (listed.name, listed.cron, listed.command, listed.workdir, listed.log_path) == \
        (job.name, "0 2 * * *", job.command, job.workdir, job.log_path)
    _assert_daily_at(listed.next_runs, 2, 0)

    again = install(spec, cron="30 1 * * mon-fri", extra_args=[], backend="cron")
    lines = user_crontab()
    assert lines[:3] == UNRELATED and len(lines) == 4, "installing the same spec again replaces its job"
    [line] = _ours(lines)
    assert line.startswith("30 1 * * mon-fri ") and again.command[1:] == ("nightly", str(spec))
    [listed] = list_jobs()
    assert listed.cron == "30 1 * * mon-fri" and len(listed.next_runs) == 3
    assert all(when.weekday() < 5 and (when.hour, when.minute) == (1, 30) for when in listed.next_runs)

    assert remove("gctune-nightly-test") is True
    assert user_crontab() == UNRELATED
    assert list_jobs() == []
    with pytest.raises(UsageError, match="no scheduled gctune job 'gctune-nightly-test'; no gctune job is scheduled"):
        remove("gctune-nightly-test")


def test_remove_by_spec_name_and_unknown_name_lists_the_jobs(user_crontab, spec: Path):
    install(spec, at="03:15", extra_args=[], backend="cron")
    with pytest.raises(UsageError) as caught:
        remove("other")
    assert "'gctune-other'" in str(caught.value) and "gctune-nightly-test (cron, 15 3 * * *)" in str(caught.value)
    assert caught.value.exit_code == 2
    assert remove("nightly-test") is True
    assert user_crontab() == []


def test_a_marker_on_the_line_above_is_recognised_and_replaced(user_crontab, spec: Path):
    user_crontab.write([UNRELATED[2], f"# {MARKER} gctune-nightly-test", "0 4 * * * /old/gctune nightly /old.yaml",
                        "0 5 * * * /usr/bin/true"])
    [old] = list_jobs()
    assert old.name == "gctune-nightly-test" and old.cron == "0 4 * * *"
    install(spec, at="02:00", extra_args=[], backend="cron")
    lines = user_crontab()
    assert lines[0] == UNRELATED[2] and lines[2] == "0 5 * * * /usr/bin/true" and len(lines) == 3
    assert lines[1].startswith("0 2 * * * ") and lines[1].endswith(f"# {MARKER} gctune-nightly-test")


def test_everything_parse_cron_accepts_the_real_crontab_accepts(user_crontab):
    expressions = ["0 2 * * *", "*/15 * * * *", "0-30/5 1,13 * * *", "0 2 * * mon-fri", "0 2 1 jan-mar *",
                   "0 2 * * 0-7", "5 4 * * sun", "0 2 * * Mon-Fri/2", "0 0 29 2 *", "@daily", "@weekly",
                   "@hourly", "@monthly", "@yearly", "0 2 1 * 1"]
    user_crontab.write([f"{parse_cron(expression).text} /usr/bin/true" for expression in expressions])
    assert len(user_crontab()) == len(expressions)


def test_crontab_refusing_a_line_is_an_error_and_leaves_the_crontab_unchanged(user_crontab):
    user_crontab.write(UNRELATED)
    job = ScheduledJob(name="gctune-bad", cron="0 2 * * 8", command=("/bin/true",), workdir="/", log_path="/tmp/x.log")
    with pytest.raises(GctuneError, match="refused the new crontab.*unchanged") as caught:
        CronScheduler().install(job)  # the scheduler trusts its caller: crontab's own check is the backstop
    assert caught.value.exit_code == 1
    assert user_crontab() == UNRELATED


def test_the_cron_line_runs_under_sh_with_flock_and_never_overlaps(env: Path):
    """The command part of the line, as cron hands it to /bin/sh: quoting, cd, log, lock."""
    fake = env / "fake gctune"
    fake.write_text('#!/bin/sh\necho "pwd=$(pwd) args=$*"\n')
    fake.chmod(0o755)
    workdir = env / "dir with space 50%"
    workdir.mkdir()
    log = env / "state" / "job.log"
    log.parent.mkdir(parents=True)
    job = ScheduledJob(name="gctune-shell", cron="0 2 * * *", workdir=str(workdir), log_path=str(log),
                       command=(str(fake), "nightly", "it's 100%.yaml", "--x=$HOME"))
    line = render_cron_line(job)
    command = re.sub(r"^(\S+\s+){5}", "", line).replace("\\%", "%")  # what cron passes to the shell

    subprocess.run(["/bin/sh", "-c", command], check=True, timeout=30)
    assert log.read_text() == f"pwd={workdir} args=nightly it's 100%.yaml --x=$HOME\n"

    with open(log.with_name("gctune-shell.lock"), "a") as held:  # a run still going holds the lock
        fcntl.flock(held, fcntl.LOCK_EX)
        result = subprocess.run(["/bin/sh", "-c", command], timeout=30)
    assert result.returncode != 0 and log.read_text().count("pwd=") == 1, "an overlapping run must not start"


def test_cron_warns_when_no_cron_daemon_runs(env: Path):
    from orchestrator.schedule._cron import cron_daemon_running

    warnings = CronScheduler().problems()
    assert warnings == [] if cron_daemon_running() else "no cron daemon is running" in warnings[0]


def test_a_missing_crontab_command_is_a_fault_that_says_how_to_get_one(env: Path, monkeypatch):
    monkeypatch.setenv("GCTUNE_CRONTAB", str(env / "missing" / "crontab"))
    with pytest.raises(GctuneError) as caught:
        list_jobs(backend="cron")
    assert caught.value.exit_code == 1
    assert "crontab" in str(caught.value) and "scripts/ensure-cron" in str(caught.value)


# --- bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("expression", ["61 2 * * *", "0 2 * *", "0 0 1 * * 2025", "0 2 L * *", "0 2 ? * *",
                                        "H 2 * * *", "0 2 * * 5#3", "5/10 * * * *", "30-10 * * * *", "*/0 * * * *",
                                        "0 24 * * *", "0 2 0 * *", "0 2 * * 8", "0 0 31 2 *", "@reboot", "@often", ""])
def test_an_invalid_cron_expression_is_a_usage_error_naming_it(expression: str, env: Path, spec: Path):
    with pytest.raises(UsageError) as caught:
        install(spec, cron=expression, extra_args=[], backend="cron")
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert f"invalid cron expression {expression!r}" in message
    assert "MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK" in message and "'0 2 * * *'" in message


@pytest.mark.parametrize("at", ["25:00", "24:00", "02:60", "2", "noon", "-1:00", "02:00pm"])
def test_an_invalid_at_is_a_usage_error(at: str, env: Path, spec: Path):
    with pytest.raises(UsageError, match=re.escape(f"--at {at!r}: expected a time of day HH:MM")):
        install(spec, at=at, extra_args=[], backend="cron")


@pytest.mark.parametrize(("at", "cron"), [("02:00", "0 2 * * *"), ("2:05", "5 2 * * *"), ("23:59", "59 23 * * *"),
                                          ("00:00", "0 0 * * *")])
def test_at_is_a_daily_cron_expression(at: str, cron: str):
    assert at_to_cron(at) == cron


def test_exactly_one_of_cron_and_at(env: Path, spec: Path):
    with pytest.raises(UsageError, match="either --cron EXPR or --at HH:MM, not both"):
        install(spec, cron="0 2 * * *", at="02:00", extra_args=[], backend="cron")
    with pytest.raises(UsageError, match="say when to run"):
        install(spec, extra_args=[], backend="cron")


def test_a_bad_spec_is_the_spec_error_and_schedules_nothing(env: Path):
    bad = env / "bad.yaml"
    bad.write_text("name: x\nworkload: {builtin: service}\nsearch: {trials: -1}\n")
    with pytest.raises(SpecError, match="bad.yaml"):
        install(bad, at="02:00", extra_args=[], backend="cron")  # GCTUNE_CRONTAB points nowhere: not reached
    with pytest.raises(SpecError, match="file not found"):
        install(env / "missing.yaml", at="02:00", extra_args=[], backend="cron")


def test_an_unknown_backend_is_a_usage_error(env: Path, spec: Path):
    with pytest.raises(UsageError, match="--backend 'anacron': expected one of cron, systemd"):
        install(spec, at="02:00", extra_args=[], backend="anacron")


# --- schedules -------------------------------------------------------------------------------------------
def _assert_daily_at(runs: tuple[datetime, ...], hour: int, minute: int) -> None:
    assert len(runs) == 3
    now = datetime.now().astimezone()
    assert now < runs[0] <= now + timedelta(days=1)
    assert all(when.tzinfo is not None and (when.hour, when.minute) == (hour, minute) for when in runs)
    assert [b - a for a, b in itertools.pairwise(runs)] == [timedelta(days=1)] * 2 or _dst_between(runs)


def _dst_between(runs: tuple[datetime, ...]) -> bool:
    return len({when.utcoffset() for when in runs}) > 1


def test_next_runs_follow_cron_day_rules():
    # Both day fields restricted: cron runs on the 1st OR on Mondays; '*/2' counts as '*': AND.
    either = parse_cron("0 2 1 * mon").next_runs(5, after=datetime(2026, 11, 27, 12, 0).astimezone())
    assert [when.strftime("%a %d") for when in either] == ["Mon 30", "Tue 01", "Mon 07", "Mon 14", "Mon 21"]
    both = parse_cron("0 2 */2 * mon").next_runs(3, after=datetime(2026, 11, 27, 12, 0).astimezone())
    assert [when.strftime("%a %d %b") for when in both] == ["Mon 07 Dec", "Mon 21 Dec", "Mon 11 Jan"]
    # '1-31' is not '*' to cron, so it ORs with Mondays: every day.
    every = parse_cron("0 2 1-31 * mon").next_runs(3, after=datetime(2026, 11, 27, 12, 0).astimezone())
    assert [when.strftime("%a %d") for when in every] == ["Sat 28", "Sun 29", "Mon 30"]


@pytest.mark.parametrize(("cron", "calendar"), [
    ("0 2 * * *", "*-*-* 02:00:00"),
    ("30 1 * * mon-fri", "Mon..Fri *-*-* 01:30:00"),
    ("*/15 * * * *", "*-*-* *:00,15,30,45:00"),
    ("0 2 * * 0,6", "Sat,Sun *-*-* 02:00:00"),
    ("0 2 * * 1,3-5", "Mon,Wed..Fri *-*-* 02:00:00"),
    ("0 3 1 jan-mar *", "*-01..03-01 03:00:00"),
    ("@weekly", "Sun *-*-* 00:00:00"),
    ("0 2 1-31 * 1", "*-*-* 02:00:00"),  # cron ORs the day fields: every day
])
def test_cron_expressions_as_systemd_on_calendar(cron: str, calendar: str):
    assert parse_cron(cron).on_calendar() == calendar


def test_a_day_of_month_or_weekday_schedule_has_no_on_calendar():
    with pytest.raises(UsageError, match="day of month OR the day of week"):
        parse_cron("0 2 1 * mon").on_calendar()


# --- systemd ---------------------------------------------------------------------------------------------
def _job(env: Path) -> ScheduledJob:
    return ScheduledJob(name="gctune-nightly-test", cron="0 2 * * *",
                        command=("/opt/gctune/bin/gctune", "nightly", str(env / "my specs 100%" / "nightly.yaml"),
                                 "--results-dir", "results $HOME"),
                        workdir=str(env / "my specs 100%"), log_path=str(env / "state" / "gctune-nightly-test.log"))


def test_systemd_units_of_a_job(env: Path):
    units = render_units(_job(env))
    assert set(units) == {"gctune-nightly-test.timer", "gctune-nightly-test.service"}
    timer, service = units["gctune-nightly-test.timer"], units["gctune-nightly-test.service"]
    assert "\nOnCalendar=*-*-* 02:00:00\n" in timer
    assert "\nPersistent=true\n" in timer and "\nUnit=gctune-nightly-test.service\n" in timer
    assert "\n[Install]\nWantedBy=timers.target\n" in timer
    assert f"# {MARKER} gctune-nightly-test\n" in timer and "# gctune-cron: 0 2 * * *\n" in timer
    assert "\nType=oneshot\n" in service and "flock" not in service
    spec = env / "my specs 100%" / "nightly.yaml"
    assert (f'\nExecStart=/opt/gctune/bin/gctune nightly "{str(spec).replace("%", "%%")}" '
            f'--results-dir "results $$HOME"\n') in service
    assert f"\nWorkingDirectory={env}/my specs 100%%\n" in service
    assert f"\nStandardOutput=append:{env}/state/gctune-nightly-test.log\n" in service
    assert "After=docker.service" not in service
    assert "\nAfter=docker.service\n" in render_units(_job(env), scope="system")["gctune-nightly-test.service"]


def _fake_systemctl(env: Path, exit_code: int = 0, output: str = "") -> tuple[Path, Path]:
    calls = env / "systemctl.calls"
    fake = env / "fake-systemctl"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {shlex.quote(str(calls))}\nprintf %s {shlex.quote(output)}\n'
                    f"exit {exit_code}\n")
    fake.chmod(0o755)
    return fake, calls


def test_systemd_scheduler_writes_lists_replaces_and_removes_units(env: Path):
    fake, calls = _fake_systemctl(env)
    scheduler = SystemdScheduler(unit_dir=env / "units", scope="user", systemctl=[str(fake)])
    job = _job(env)
    stored = scheduler.install(job)
    assert (stored.name, stored.cron, stored.command, stored.workdir, stored.log_path, stored.calendar) == \
        (job.name, job.cron, job.command, job.workdir, job.log_path, "*-*-* 02:00:00")
    _assert_daily_at(stored.next_runs, 2, 0)
    assert calls.read_text().splitlines() == ["--user daemon-reload", "--user enable --now gctune-nightly-test.timer"]

    scheduler.install(job.with_(cron="30 1 * * *", calendar=None))
    [listed] = scheduler.list_jobs()
    assert listed.cron == "30 1 * * *" and listed.calendar == "*-*-* 01:30:00"
    assert sorted(path.name for path in (env / "units").iterdir()) == \
        ["gctune-nightly-test.service", "gctune-nightly-test.timer"]

    assert scheduler.remove("gctune-nightly-test") is True
    assert list((env / "units").iterdir()) == [] and scheduler.list_jobs() == []
    assert "--user disable --now gctune-nightly-test.timer" in calls.read_text()
    assert scheduler.remove("gctune-nightly-test") is False


def test_systemd_failure_leaves_no_unit_behind(env: Path):
    fake, _ = _fake_systemctl(env, exit_code=1, output="Failed to connect to bus")
    scheduler = SystemdScheduler(unit_dir=env / "units", scope="user", systemctl=[str(fake)])
    with pytest.raises(GctuneError, match="daemon-reload failed.*Failed to connect to bus"):
        scheduler.install(_job(env))
    assert list((env / "units").iterdir()) == []


def test_forcing_systemd_where_it_does_not_run_fails_cleanly(env: Path, spec: Path, monkeypatch):
    monkeypatch.setenv("PATH", str(env / "empty-path"))  # no systemctl at all
    with pytest.raises(GctuneError, match="systemctl"):
        install(spec, at="02:00", extra_args=[], backend="systemd")
    assert not (env / "units").exists() or list((env / "units").iterdir()) == []


def test_systemd_detection_falls_back_to_cron(env: Path):
    present = env / "run-systemd-system"
    present.mkdir()
    answers, _ = _fake_systemctl(env, output="252\n")
    assert systemd_running("user", [str(answers)], run_dir=env / "absent") is False  # not PID 1
    assert systemd_running("user", [str(env / "no-systemctl")], run_dir=present) is False
    fails, _ = _fake_systemctl(env, exit_code=1, output="Failed to connect to bus")
    assert systemd_running("user", [str(fails)], run_dir=present) is False
    answers, _ = _fake_systemctl(env, output="252\n")
    assert systemd_running("user", [str(answers)], run_dir=present) is True
    if not Path("/run/systemd/system").is_dir():  # this machine: no systemd, so cron
        assert detect_backend() == "cron"


def test_the_job_calls_this_gctune_by_absolute_path():
    command = gctune_command()
    assert Path(command[0]).is_absolute() and os.access(command[0], os.X_OK)
    assert command[1:] in ([], ["-m", "orchestrator"])
    if not command[1:]:
        assert shutil.which(command[0])


def test_the_command_line_installs_lists_and_removes_a_job(user_crontab, spec: Path):
    """`gctune schedule ...` as a user types it (in process), against the throwaway user's real crontab."""
    installed = gctune_in_process("schedule", "install", str(spec), "--at", "02:00", "--backend", "cron")
    assert installed.returncode == 0, installed.stderr
    assert "scheduled gctune-nightly-test" in installed.stdout and "next:" in installed.stdout
    again = gctune_in_process("schedule", "install", str(spec), "--cron", "0 3 * * *", "--backend", "cron")
    assert again.returncode == 0, again.stderr
    listed = gctune_in_process("schedule", "list", "--backend", "cron", "--json")
    jobs = json.loads(listed.stdout)
    assert [(j["name"], j["cron"]) for j in jobs] == [("gctune-nightly-test", "0 3 * * *")]
    assert len(_ours(user_crontab())) == 1
    bad = gctune_in_process("schedule", "install", str(spec), "--cron", "0 25 * * *", "--backend", "cron")
    assert bad.returncode == 2 and "0 25 * * *" in bad.stderr and "Traceback" not in bad.stderr
    removed = gctune_in_process("schedule", "remove", "nightly-test", "--backend", "cron")
    assert removed.returncode == 0 and _ours(user_crontab()) == []
