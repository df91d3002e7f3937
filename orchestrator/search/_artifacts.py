"""Trial files that travel between hosts: an Optuna artifact store holds each worker's raw files.

A worker packs a trial's folder (each repeat's gctrace, samples and metrics, and trial.json) into one
gzipped tar, uploads it and names it in the trial's user attrs; the coordinator unpacks it into its own
run folder before it writes the summary, so the summary and the report read every trial wherever it
ran. A shared folder is a ``FileSystemArtifactStore``; ``s3://BUCKET`` a ``Boto3ArtifactStore``.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from pathlib import Path
from typing import Protocol

import optuna
from optuna.artifacts import FileSystemArtifactStore, download_artifact, upload_artifact

from orchestrator.errors import UsageError

FILES_ATTR = "files_artifact"  # user attr of a trial: the artifact id of its files
MAX_TRIAL_BYTES = 256 * 2**20  # two 32 MiB streams per repeat, a few repeats


class ArtifactStore(Protocol):
    def open_reader(self, artifact_id: str) -> io.BufferedIOBase: ...
    def write(self, artifact_id: str, content_body: io.BufferedIOBase) -> None: ...
    def remove(self, artifact_id: str) -> None: ...


def open_artifact_store(location: str) -> ArtifactStore:
    """The store of a folder path (created) or an ``s3://BUCKET`` URL (needs boto3 and its credentials)."""
    if location.startswith("s3://"):
        bucket = location.removeprefix("s3://").strip("/")
        if not bucket or "/" in bucket:
            raise UsageError(f"--artifacts {location}: expected s3://BUCKET (the artifact ids are the keys)")
        try:
            import boto3  # noqa: F401 - only to say clearly that it is missing
        except ImportError:
            raise UsageError(f"--artifacts {location}: an S3 artifact store needs boto3 (pip install boto3); "
                             "or give a folder every host mounts") from None
        from optuna.artifacts import Boto3ArtifactStore

        return Boto3ArtifactStore(bucket)
    if "://" in location:
        raise UsageError(f"--artifacts {location}: give a folder path or s3://BUCKET")
    folder = Path(location).expanduser().resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--artifacts {location}: cannot create the folder: {exc.strerror or exc}") from None
    return FileSystemArtifactStore(folder)


def store_location(location: str) -> str:
    """How the store is named to workers: an absolute folder, or the URL."""
    return location if "://" in location else str(Path(location).expanduser().resolve())


def upload_trial_files(store: ArtifactStore, trial: optuna.Trial, folder: Path) -> str:
    """Pack ``folder`` and upload it as the trial's artifact; returns its id."""
    with tempfile.TemporaryDirectory(prefix="gctune-trial-") as tmp:
        bundle = Path(tmp) / f"trial-{trial.number:04d}.tar.gz"
        bundle.write_bytes(_pack(folder))
        return upload_artifact(artifact_store=store, file_path=str(bundle), study_or_trial=trial,
                               mimetype="application/gzip")


def upload_study_file(store: ArtifactStore, study: optuna.Study, path: Path) -> str:
    return upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=study,
                           mimetype="application/gzip")


def download(store: ArtifactStore, artifact_id: str, path: Path) -> None:
    download_artifact(artifact_store=store, file_path=str(path), artifact_id=artifact_id)


def fetch_trial_files(store: ArtifactStore, artifact_id: str, folder: Path) -> None:
    """Unpack a trial's uploaded files into ``folder`` (the coordinator's trial folder)."""
    with tempfile.TemporaryDirectory(prefix="gctune-trial-") as tmp:
        bundle = Path(tmp) / "trial.tar.gz"
        download(store, artifact_id, bundle)
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(bundle, mode="r:gz") as tar:
            extract_tar(tar, folder, dirs=True)


def extract_tar(tar: tarfile.TarFile, into: Path, *, dirs: bool = False) -> None:
    """Extract regular files (and folders when ``dirs``) of ``tar`` into ``into``, none outside it.

    The tarball comes from another host, so a name that is absolute or climbs out with ``..`` is an
    error. ``filter="data"`` adds the standard library's own checks where it exists (Python 3.11.4 on;
    Debian 12's 3.11.2 lacks it)."""
    root = into.resolve()
    members = [m for m in tar.getmembers() if m.isfile() or (dirs and m.isdir())]
    for member in members:
        target = (root / member.name).resolve()
        if target != root and root not in target.parents:
            raise UsageError(f"an uploaded tarball names {member.name!r}, which is outside its folder")
    if hasattr(tarfile, "data_filter"):
        tar.extractall(root, members=members, filter="data")
    else:
        tar.extractall(root, members=members)


def _pack(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        total = 0
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            total += path.stat().st_size
            if total > MAX_TRIAL_BYTES:
                break  # the rest stays on the worker; what is packed is whole files
            tar.add(path, arcname=path.relative_to(folder).as_posix())
    return buffer.getvalue()
