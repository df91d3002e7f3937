"""What the benchmark scripts share: the machine they ran on, and one real trial through the CLI."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
GCTUNE = [str(REPO / ".venv" / "bin" / "python"), "-m", "orchestrator"]


def machine() -> str:
    """CPU model, cores and kernel: numbers differ by CPU model, so every table names it."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return f"{model}, {os.cpu_count()} cores, kernel {platform.release()}"


def trial(spec: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """One real `gctune trial SPEC --set ... --json`: its outcome and metrics."""
    sets = [arg for name, value in settings.items() for arg in ("--set", f"{name}={value}")]
    done = subprocess.run([*GCTUNE, "trial", str(spec), *sets, "--json"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"gctune trial {' '.join(sets)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)
