"""The jobs' wheel, built from `databricks_jobs/` and named after a hash of its sources.

The version in the wheel is the package's own version with a local label made of the source hash
(`0.1.0+g3f9c...`), so the file name, the path it is uploaded to and the jobs' library all change
when, and only when, a source file changes. The hash covers the files that go into the wheel (the
`pyproject.toml` and everything under `src/`, by relative path and content), never a zip with build
times in it; the wheel itself is built reproducibly (hatchling honours SOURCE_DATE_EPOCH), so an
unchanged tree gives an identical file and a second `pulumi up` uploads nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

HASH_LENGTH = 16
# 1980-01-01, the earliest time a zip file can hold: every file in the wheel gets this date.
SOURCE_DATE_EPOCH = "315532800"
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", "build", "dist", ".venv"}


class WheelBuildError(Exception):
    """The jobs' wheel could not be built; the message says why."""


@dataclass(frozen=True)
class Wheel:
    path: Path
    package: str  # import name, e.g. insights_jobs
    version: str  # with the source-hash local label
    source_hash: str

    @property
    def filename(self) -> str:
        return self.path.name

    def console_scripts(self) -> dict[str, str]:
        """The wheel's `[console_scripts]` entry points: name -> `module:function`."""
        import configparser
        import zipfile

        with zipfile.ZipFile(self.path) as archive:
            name = f"{self.package}-{self.version}.dist-info/entry_points.txt"
            text = archive.read(name).decode("utf-8") if name in archive.namelist() else ""
        parser = configparser.ConfigParser(delimiters=("=",))
        parser.optionxform = str  # keep the names as written
        parser.read_string(text)
        return dict(parser["console_scripts"]) if parser.has_section("console_scripts") else {}


def _source_files(project_dir: Path) -> list[Path]:
    files = [project_dir / "pyproject.toml"]
    src = project_dir / "src"
    if src.is_dir():
        for path in sorted(src.rglob("*")):
            rel = path.relative_to(project_dir)
            skipped = _SKIP_DIRS.intersection(rel.parts) or any(p.endswith(".egg-info") for p in rel.parts)
            if path.is_file() and not skipped and path.suffix not in {".pyc", ".pyo"}:
                files.append(path)
    for extra in ("README.md", "LICENSE"):
        if (project_dir / extra).is_file():
            files.append(project_dir / extra)
    return files


def source_hash(project_dir: Path) -> str:
    """A hash of the wheel's inputs: each file's relative path and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(_source_files(project_dir), key=lambda p: p.relative_to(project_dir).as_posix()):
        rel = path.relative_to(project_dir).as_posix().encode()
        data = path.read_bytes()
        digest.update(len(rel).to_bytes(4, "big") + rel + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:HASH_LENGTH]


def _project(project_dir: Path) -> tuple[str, str]:
    pyproject = project_dir / "pyproject.toml"
    if not pyproject.is_file():
        raise WheelBuildError(f"{pyproject} is missing: the jobs' wheel is built from it")
    project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    if "version" not in project:
        raise WheelBuildError(f"{pyproject}: [project] needs a static version")
    return project["name"], project["version"]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def build_wheel(project_dir: Path, cache_dir: Path) -> Wheel:
    """Build (or reuse from `cache_dir`) the wheel of `project_dir`, versioned by its source hash."""
    project_dir = project_dir.resolve()
    name, base_version = _project(project_dir)
    digest = source_hash(project_dir)
    version = f"{base_version}+g{digest}"
    package = _normalise(name)
    target = cache_dir / f"{package}-{version}-py3-none-any.whl"
    if target.is_file():
        return Wheel(path=target, package=package, version=version, source_hash=digest)

    from build import ProjectBuilder
    from pyproject_hooks import default_subprocess_runner

    def runner(cmd, cwd=None, extra_environ=None):
        env = {**(extra_environ or {}), "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
        default_subprocess_runner(cmd, cwd=cwd, extra_environ=env)

    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="insights-wheel-") as tmp:
        staged = Path(tmp) / "src-tree"
        shutil.copytree(project_dir, staged, ignore=shutil.ignore_patterns(*_SKIP_DIRS, "*.pyc", "*.egg-info"))
        pyproject = staged / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        patched, count = re.subn(r'(?m)^version\s*=\s*"[^"]*"', f'version = "{version}"', text, count=1)
        if count != 1:
            raise WheelBuildError(f'{project_dir / "pyproject.toml"}: no `version = "..."` line to stamp')
        pyproject.write_text(patched, encoding="utf-8")
        out = Path(tmp) / "dist"
        try:
            builder = ProjectBuilder(staged, runner=runner)
            missing = builder.check_dependencies("wheel")
            if missing:
                raise WheelBuildError(
                    f"the build backend of {project_dir} needs {sorted(map(str, missing))}: run `uv sync`"
                )
            built = Path(builder.build("wheel", out))
        except WheelBuildError:
            raise
        except Exception as exc:  # the backend's own error, re-raised with the folder it was building
            raise WheelBuildError(f"building the wheel of {project_dir} failed: {exc}") from exc
        if built.name != target.name:
            raise WheelBuildError(f"the backend built {built.name}, expected {target.name}")
        partial = target.with_suffix(f".{os.getpid()}.part")
        shutil.copyfile(built, partial)
        partial.replace(target)
    return Wheel(path=target, package=package, version=version, source_hash=digest)
