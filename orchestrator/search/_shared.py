"""What a worker on another host needs of a run, kept in the study itself.

The coordinator writes the spec as run, its Go version, where the artifact store is, and - for a user's
Go package - the module's source as a bounded tarball in the artifact store. A worker reads them back,
unpacks the source into its own folder and validates the spec against it, so it builds the same images
from the same inputs. The built-in service ships inside gctune: nothing to carry.
"""

from __future__ import annotations

import io
import re
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import optuna
import yaml

from orchestrator.build import BuildRecipe
from orchestrator.errors import UsageError
from orchestrator.search._artifacts import ArtifactStore, download, extract_tar, upload_study_file
from orchestrator.spec import Spec, load_spec_text, read_spec_data
from orchestrator.workloads import builtin_module_dir, kind_for

SPEC_ATTR = "gctune:spec"      # the spec's YAML text, as run
GO_ATTR = "gctune:go"          # the spec's Go version (None: the toolchain beside gctune)
SOURCE_ATTR = "gctune:source"  # {"artifact_id", "package", "field"} of a user package
ARTIFACTS_ATTR = "gctune:artifacts"  # where the coordinator's artifact store is
MAX_SOURCE_BYTES = 64 * 2**20  # a module with its vendor/ folder; more is not source but data
_SOURCE_SUFFIXES = (".go", ".mod", ".sum", ".s", ".c", ".h")
_REPORTER_REPLACE = re.compile(r"(?m)^(\s*replace\s+gctune\.dev/reporter\s+=>\s+)(\S+)\s*$")


def publish(study: optuna.Study, spec_text: str, spec: Spec, store: ArtifactStore | None,
            store_location: str | None) -> None:
    """Record the run's inputs in the study once (a resumed coordinator leaves them as they are)."""
    if SPEC_ATTR in study.user_attrs:
        return
    recipe = _user_recipe(spec)
    if recipe is not None and store is not None:
        with tempfile.TemporaryDirectory(prefix="gctune-source-") as tmp:
            bundle = Path(tmp) / "source.tar.gz"
            bundle.write_bytes(source_tarball(recipe.module_dir))
            artifact = upload_study_file(store, study, bundle)
        field = "go_bench.package" if spec.workload.kind == "go_bench" else "go_package"
        study.set_user_attr(SOURCE_ATTR, {"artifact_id": artifact, "package": recipe.package, "field": field})
    study.set_user_attr(GO_ATTR, spec.go.version)
    if store_location:
        study.set_user_attr(ARTIFACTS_ATTR, store_location)
    study.set_user_attr(SPEC_ATTR, spec_text)  # last: its presence says the rest is there


def joined_spec(attrs: dict[str, Any], store: ArtifactStore | None, folder: Path) -> tuple[str, Spec]:
    """The spec of a study a coordinator published, its user package unpacked into ``folder``."""
    text = attrs.get(SPEC_ATTR)
    if not isinstance(text, str):
        raise UsageError("this study has no gctune spec recorded: start it with `gctune run --storage URL` "
                         "(gctune 0.2 or later), then join it with `gctune worker`")
    source = attrs.get(SOURCE_ATTR)
    if not source:
        return text, load_spec_text(text, source="the study's spec", base_dir=folder)
    if store is None:
        raise UsageError("this study's workload is a Go package whose source is in the coordinator's artifact "
                         "store: pass --artifacts PATH_OR_URL")
    module = folder / "module"
    folder.mkdir(parents=True, exist_ok=True)
    if not module.exists():
        bundle = folder / "source.tar.gz"
        bundle.unlink(missing_ok=True)
        download(store, source["artifact_id"], bundle)
        unpack_source(bundle.read_bytes(), module)
    (folder / "spec.yaml").write_text(text)
    data = read_spec_data(folder / "spec.yaml")  # as load_spec reads it: GOGC: off stays the word off
    _set_path(data["workload"], source["field"], str(module / source["package"]))
    return text, load_spec_text(yaml.safe_dump(data, sort_keys=False), source="the study's spec", base_dir=folder)


def source_tarball(module_dir: Path) -> bytes:
    """The module's Go sources (vendor/ included) as a gzipped tar; UsageError past MAX_SOURCE_BYTES."""
    buffer = io.BytesIO()
    total = 0
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(module_dir.rglob("*")):
            relative = path.relative_to(module_dir)
            if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                continue
            if path.suffix not in _SOURCE_SUFFIXES and relative.as_posix() != "vendor/modules.txt":
                continue
            total += path.stat().st_size
            if total > MAX_SOURCE_BYTES:
                raise UsageError(f"{module_dir}: the module's source is over {MAX_SOURCE_BYTES // 2**20} MiB; "
                                 "workers cannot be given it through the artifact store")
            tar.add(path, arcname=relative.as_posix())
    return buffer.getvalue()


def unpack_source(data: bytes, into: Path) -> None:
    """Unpack a source tarball (regular files only, nothing outside ``into``); gctune's reporter module,
    when go.mod replaces it by a path, is this installation's own."""
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        extract_tar(tar, into)
    for go_mod in into.rglob("go.mod"):
        text = go_mod.read_text()
        go_mod.write_text(_REPORTER_REPLACE.sub(lambda m: m[1] + str(builtin_module_dir()), text))


def _user_recipe(spec: Spec) -> BuildRecipe | None:
    """The build of the user's package (None for the built-in service and a prebuilt image)."""
    kind = kind_for(spec)
    if not kind.has_source:
        return None
    return kind.recipe(None)


def _set_path(workload: dict[str, Any], field: str, value: str) -> None:
    *parents, last = field.split(".")
    for name in parents:
        workload = workload[name]
    workload[last] = value
