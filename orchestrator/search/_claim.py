"""Trials shared by processes and hosts: who runs a trial, whether it is alive, and the budget rule.

Several processes (a coordinator's jobs, ``gctune worker`` on other hosts) ask trials of one study.
Each running trial names its owner (host and pid) and, on an RDB server storage, records Optuna
heartbeats. A trial whose owner died is failed and its configuration queued again, once: by
``fail_stale_trials`` with Optuna's retry callback when its heartbeat went stale, or at once by any
process on the owner's host that sees the pid gone. The budget stays exact: a trial may measure only
when the trials measured plus the running trials asked before it leave room for it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import warnings
from collections.abc import Iterator

import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial, TrialState

OWNER_ATTR = "gctune:owner"  # system attr of a trial: "pid P on host H" of the process running it
RETRY_HISTORY = "retry_history"  # Optuna's retry callback lists the stale trials a retry stands for
_RETRIES = 3  # a configuration whose owners keep dying is given up after this many retries


def owner() -> str:
    """This process, as a trial's owner is recorded."""
    return f"pid {os.getpid()} on host {socket.gethostname()}"


def may_measure(trial_id: int, measured: int, running_ids: list[int], budget: int) -> bool:
    """The budget rule: a trial measures only if ``measured`` plus the running trials created before it
    (lower ids: asked first) leave room in ``budget``. Two processes that ask the last slot at once both
    see both trials; only the first asked measures."""
    ahead = sum(1 for other in running_ids if other < trial_id)
    return measured + ahead < budget


def retry_callback() -> RetryHeartbeatStaleTrialCallback:
    return RetryHeartbeatStaleTrialCallback(max_retry=_RETRIES)


def heartbeat_enabled(storage: optuna.storages.BaseStorage) -> bool:
    return getattr(storage, "get_heartbeat_interval", lambda: None)() is not None


def claim(storage: optuna.storages.BaseStorage, trial: optuna.Trial) -> None:
    """Name this process as the trial's owner (read by the recovery on this host)."""
    storage.set_trial_system_attr(trial._trial_id, OWNER_ATTR, owner())


@contextlib.contextmanager
def heartbeat(storage: optuna.storages.BaseStorage, trial_id: int) -> Iterator[None]:
    """Record the trial's heartbeat every interval while it runs (as ``Study.optimize`` does; gctune asks
    and tells itself, so it starts the beat itself). A storage without heartbeats: nothing to do."""
    if not heartbeat_enabled(storage):
        yield
        return
    interval = storage.get_heartbeat_interval()  # type: ignore[attr-defined]
    stop = threading.Event()

    def beat() -> None:
        while True:
            with contextlib.suppress(Exception):  # a lost connection: the next beat tries again
                storage.record_heartbeat(trial_id)  # type: ignore[attr-defined]
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, name="gctune-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def stale_numbers(trials: list[FrozenTrial]) -> set[int]:
    """Trials failed for a stale heartbeat: each retry lists the trials it stands for."""
    return {number for t in trials for number in t.system_attrs.get(RETRY_HISTORY, [])}


def recover_dead(study: optuna.Study, storage: optuna.storages.BaseStorage, interrupted: str) -> list[int]:
    """Fail the running trials whose owner died and queue their configurations again; returns the numbers
    failed here for a dead pid (those failed for a stale heartbeat are listed by their retries).

    Stale heartbeats go through Optuna's ``fail_stale_trials`` (its retry callback queues the trial once,
    whichever process fails it first). A trial owned by a pid of this host that is gone is failed at once.
    A running trial without an owner (asked by a gctune before this one, or by a process killed between
    ask and claim) is taken for dead only on a storage without heartbeats: there, nothing else can tell.
    """
    if heartbeat_enabled(storage):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
    recovered: list[int] = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        holder = trial.system_attrs.get(OWNER_ATTR)
        if holder == owner():
            continue  # ours: a job of this process is running it
        dead = _dead_on_this_host(holder) if holder else not heartbeat_enabled(storage)
        if dead and _fail(storage, trial, interrupted):
            study.enqueue_trial(trial.params, skip_if_exists=False)
            recovered.append(trial.number)
    return recovered


def _fail(storage: optuna.storages.BaseStorage, trial: FrozenTrial, interrupted: str) -> bool:
    """Mark the trial interrupted and fail it; False when another process finished it first."""
    try:
        storage.set_trial_user_attr(trial._trial_id, "outcome", interrupted)
        return storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
    except (optuna.exceptions.UpdateFinishedTrialError, RuntimeError):
        return False


def _dead_on_this_host(holder: str) -> bool:
    """Whether ``pid P on host H`` names a process of this host that no longer exists."""
    words = holder.split()
    if len(words) != 5 or words[4] != socket.gethostname() or not words[1].isdigit():
        return False  # another host's: its heartbeat tells
    try:
        os.kill(int(words[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
