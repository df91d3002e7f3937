"""Bad spec files through the real ``gctune validate``: each is refused with exit 2 within a second,
naming the file (and the line and field where there is one), in a short message with no traceback.

Most cases run the command line in this process (the reading is what is timed); the ones in
``AS_SUBPROCESS`` also go through a fresh ``gctune`` process, as a user runs it.

Every case is a class of input that once crashed or stalled ``validate`` (issue 12); each states its
RELIABILITY.md row (``record_property``), which ``scripts/reliability`` writes into the table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import ROOT, gctune, gctune_in_process  # noqa: E402

MAX_STDERR = 2000  # characters: a few short lines, never the value itself
MAX_LINE = 500  # characters of one message line (the file's path included)
WALL_GUARD_S = 5.0  # a loose guard against a hang; the goal (under 1 s) is measured, not asserted

BASE = "name: bad\nworkload:\n  builtin: service\n"


def _alias_bomb() -> str:
    """A few hundred bytes that expand to ten million list items."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    return BASE + "\n".join(lines) + "\n"


def _deep_aliases() -> str:
    """Lists 40 levels deep, each holding the one before through an alias: 120 levels in all."""
    lines = ["a0: &a0 " + "[" * 40 + "1" + "]" * 40]
    lines += [f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40 for i in (1, 2)]
    return BASE + "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Case:
    """One class of bad input: the file's bytes (or a path to use as is) and a phrase the message holds."""

    name: str
    klass: str
    description: str
    content: bytes | Callable[[Path], Path]
    expected: str
    lines: int = 1  # of the message, each short

    def path(self, tmp_path: Path) -> Path:
        if callable(self.content):
            return self.content(tmp_path)
        path = tmp_path / f"{self.name}.yaml"
        path.write_bytes(self.content)
        return path


def _directory(tmp_path: Path) -> Path:
    folder = tmp_path / "spec.yaml"
    folder.mkdir()
    return folder


CASES = [
    Case("control-character", "YAML", "a U+0001 control character in a value",
         (BASE + 'container:\n  env:\n    A: "a\x01b"\n').encode(), "U+0001"),
    Case("nul-byte", "YAML", "a NUL byte in a key",
         (BASE + "x\x00: 1\n").encode(), "U+0000"),
    Case("deep-nesting", "YAML", "a list nested 5,000 levels deep",
         ("name: bad\nworkload: " + "[" * 5000 + "]" * 5000 + "\n").encode(), "nested more than 64 levels"),
    Case("deep-through-aliases", "YAML", "40 levels holding 40 levels through an alias, twice",
         _deep_aliases().encode(), "(through the alias *a0)"),
    Case("self-alias", "YAML", "an alias inside the node it names",
         b"name: bad\nworkload: &w\n  builtin: service\n  again: *w\n", "refers to a node that contains it"),
    Case("long-integer", "YAML", "an integer literal of 5,000 digits",
         (BASE + "search:\n  trials: " + "9" * 5000 + "\n").encode(), "5,000 characters long"),
    Case("long-hex-integer", "YAML", "a hexadecimal literal of 6,000 digits",
         (BASE + "search:\n  trials: 0x" + "f" * 6000 + "\n").encode(), "characters long"),
    Case("alias-bomb", "YAML", "300 bytes of aliases expanding to 10 million items",
         _alias_bomb().encode(), "more than 5,000 values"),
    Case("many-keys", "YAML", "20,000 keys",
         (BASE + "".join(f"k{i}: 1\n" for i in range(20_000))).encode(), "more than 5,000 values"),
    Case("huge-file", "file", "a 10 MB file",
         (BASE + "search:\n  sampler: " + "z" * 10_000_000 + "\n").encode(), "larger than 256 KiB"),
    Case("endless-file", "file", "/dev/zero, which never ends",
         lambda tmp: Path("/dev/zero"), "larger than 256 KiB"),
    Case("bad-date", "YAML", "a date with a 13th month",
         (BASE + "search:\n  seed: 2024-13-45\n").encode(), "month must be in 1..12"),
    Case("long-name", "value", "a name of 300 characters (longer than a file name may be)",
         ("name: " + "a" * 300 + "\nworkload:\n  builtin: service\n").encode(), "at most 100 characters"),
    Case("gogc-huge", "value", "GOGC: 1.0e+30",
         (BASE + "space:\n  GOGC: 1.0e+30\n").encode(), "32-bit integer"),
    Case("cpus-huge", "value", "cpus: 1e20",
         (BASE + "container:\n  cpus: 1e20\n").encode(), "at most 1024"),
    Case("duration-huge", "value", "a duration of 10 million hours",
         b"name: bad\nworkload:\n  builtin: service\n  duration: 10000000h\n", "at most 24h"),
    Case("memory-negative", "value", "a negative memory size",
         (BASE + "container:\n  memory: -5MiB\n").encode(), "container.memory"),
    Case("memory-huge", "value", "GOMEMLIMIT: 99999999999999999999999GiB",
         (BASE + "space:\n  GOMEMLIMIT: 99999999999999999999999GiB\n").encode(), "at most 1024TiB"),
    Case("size-overflow", "value", "a constraint bound too large for a float",
         (BASE + "constraints:\n  - peak_memory_bytes <= " + "9" * 400 + "GiB\n").encode(), "constraints[0]"),
    Case("env-nul", "value", "an env value holding NUL (written \\0)",
         (BASE + 'container:\n  env:\n    A: "a\\0b"\n').encode(), "control characters"),
    Case("env-long", "value", "an env value of 200,000 characters",
         (BASE + 'container:\n  env:\n    A: "' + "a" * 200_000 + '"\n').encode(), "at most 4,096 characters"),
    Case("argument-nul", "value", "a program argument holding NUL",
         b'name: bad\nworkload:\n  image: "x"\n  command: ["a\\0b"]\n', "control characters"),
    Case("path-too-long", "value", "a go_package path of 6,000 characters",
         ("name: bad\nworkload:\n  go_package: " + "a" * 6000 + "\n").encode(), "at most 4,096 characters"),
    Case("long-value-echoed", "message", "a 200,000-character value that is wrong",
         (BASE + "search:\n  sampler: " + "z" * 200_000 + "\n").encode(), "(200,000 characters)"),
    Case("long-key-echoed", "message", "an unknown key of 100,000 characters",
         (BASE + "? " + "k" * 100_000 + "\n: 1\n").encode(), "unknown key"),
    Case("many-errors", "message", "2,000 unknown keys: the first ten are listed, then a count",
         (BASE + "".join(f"k{i}: {i}\n" for i in range(2000))).encode(), "1,990 more problems", 11),
    Case("not-utf8", "file", "bytes that are not UTF-8",
         b"name: \xff\xfe\n", "not UTF-8"),
    Case("binary", "file", "4 KiB of random bytes",
         bytes((i * 7919 + 13) % 256 for i in range(4096)), "not UTF-8"),
    Case("directory", "file", "a directory",
         _directory, "is a directory", 4),  # click's usage lines, then the error
    Case("missing", "file", "a file that does not exist",
         lambda tmp: tmp / "missing.yaml", "not found"),
]


@pytest.fixture(scope="module")
def start_s() -> float:
    """How long ``gctune --help`` takes here (the faster of 2): the part of a wall time that is not
    reading the spec."""
    times = []
    for _ in range(2):
        started = time.monotonic()
        gctune("--help", timeout=60)
        times.append(time.monotonic() - started)
    return min(times)


AS_SUBPROCESS = {"alias-bomb", "directory"}


def run_case(case: Case, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path, float]:
    path = case.path(tmp_path)
    started = time.monotonic()
    if case.name in AS_SUBPROCESS:
        result = gctune("validate", str(path), timeout=60)
    else:
        result = gctune_in_process("validate", str(path))
    return result, path, time.monotonic() - started


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_refused_cleanly(case: Case, tmp_path: Path, record_property: Any, start_s: float) -> None:
    """Exit 2 within a second, the file named, a short message and no traceback."""
    record_property("reliability_class", "bad input")
    record_property("reliability_fault", f"{case.klass}: {case.description}")
    record_property("reliability_expected", f"exit 2, the file named, `{case.expected}` said, no traceback, "
                                            "within 1 s (the test guards at 5 s)")
    result, path, wall = run_case(case, tmp_path)
    assert result.returncode == 2, result.stderr[-MAX_STDERR:]
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) <= case.lines and all(len(line) < MAX_LINE for line in lines), result.stderr[:MAX_STDERR]
    assert len(result.stderr) < max(MAX_STDERR, case.lines * MAX_LINE)
    assert path.name in result.stderr
    assert case.expected in result.stderr, result.stderr
    assert wall < WALL_GUARD_S
    said = next(line for line in lines if case.expected in line).replace(str(tmp_path), "TMP")
    how = (f"exit 2 in {wall:.2f} s (`gctune --help` alone: {start_s:.2f} s)" if case.name in AS_SUBPROCESS
           else f"exit 2 after {wall:.2f} s of reading (in process; an interpreter start adds {start_s:.2f} s)")
    record_property("reliability_observed", f"{how}, {len(result.stderr)} characters: `{said[:160]}`")


def test_a_line_is_named_where_there_is_one(tmp_path: Path) -> None:
    """A control character is reported at its own line, not only the file."""
    path = tmp_path / "ctrl.yaml"
    path.write_bytes((BASE + "search:\n  trials: 3\n  sampler: \"\x02\"\n").encode())
    result = gctune_in_process("validate", str(path))
    assert result.returncode == 2 and f"{path}:6: " in result.stderr, result.stderr


def test_a_valid_spec_near_the_limits_still_validates(tmp_path: Path) -> None:
    """The limits refuse only what no spec needs: 60 levels, thousands of values and 200 KiB pass."""
    nested = "[" * 58 + "1" + "]" * 58
    constraints = "".join(f"  - peak_memory_bytes <= {i + 1}MiB\n" for i in range(3000))
    padding = "#" * 100 + "\n"
    text = BASE + f"container:\n  env:\n    A: \"{'x' * 4096}\"\n" + "constraints:\n" + constraints
    text += padding * ((200 * 1024 - len(text)) // len(padding))
    path = tmp_path / "big-but-valid.yaml"
    path.write_text(text)
    result = gctune_in_process("validate", str(path))
    assert result.returncode == 0, result.stderr[:MAX_STDERR]
    deep = tmp_path / "deep-but-fine.yaml"
    deep.write_text(BASE + f"extra: {nested}\n")
    result = gctune_in_process("validate", str(deep))
    assert result.returncode == 2 and "unknown key" in result.stderr  # read, then refused for its key


def test_an_unexpected_error_is_one_line_exit_1_and_its_traceback_only_on_request(
        tmp_path: Path, record_property: Any) -> None:
    """A bug is not bad input: exit 1 with one line; GCTUNE_DEBUG=1 shows where it happened."""
    record_property("reliability_fault", "an unexpected exception inside gctune (a bug), 5,000 characters long")
    path = tmp_path / "ok.yaml"
    path.write_text(BASE)
    program = ("import orchestrator.app._tools as tools\n"
               "def broken(path): raise RuntimeError('a bug ' + 'x' * 5000)\n"
               "tools.validate_spec = broken\n"
               "import sys; from orchestrator.cli import main\n"
               f"main(['validate', {str(path)!r}])\n")
    for debug in ("", "1"):
        env = {**os.environ, "GCTUNE_DEBUG": debug}
        result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True,
                                env=env, timeout=60)
        assert result.returncode == 1, result.stderr[-MAX_STDERR:]
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("gctune: internal error: RuntimeError: a bug xxx") and "GCTUNE_DEBUG=1" in last
        assert len(last) < 400
        assert ("Traceback" in result.stderr) == (debug == "1")

