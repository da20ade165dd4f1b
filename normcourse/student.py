"""The student's working folder of ``make lab``: a copy of every exercise, never overwritten
once edited, and the JupyterLab settings that open the MyST exercises as notebooks.

:func:`prepare_workspace` copies each ``exercises/<id>.md`` into the working folder and
remembers, in a manifest (``.normcourse-workspace.json`` in that folder), the content it
copied. On the next run it compares each copy with what it wrote:

* no copy (a new exercise, or a copy the student deleted): the exercise is copied;
* the copy is as written and the exercise is unchanged: nothing to do;
* the copy is as written and the exercise was updated: the copy is **refreshed**;
* the copy's cells differ from what was written (the student edited them): it is
  **kept**, byte for byte, whatever happened upstream. To get the new version of an
  updated exercise, rename or delete the copy and run ``make lab`` again.

Cells are compared by type and source, so a copy that JupyterLab merely re-saved (it
rewrites the header) is not edited. A copy found without a manifest entry (the manifest
was deleted, or the student made the file) counts as edited unless its cells equal the
exercise's. Nothing is ever deleted: a copy whose exercise disappeared stays.

:func:`write_lab_settings` writes ``.jupyter/labconfig/default_setting_overrides.json`` in
the folder: JupyterLab's default viewer for Markdown (``.md``) and MyST files becomes
Jupytext's notebook, so a double-click opens an exercise as a notebook (and it asks
nothing about Jupyter news). JupyterLab reads it when ``JUPYTER_CONFIG_PATH`` names that
``.jupyter`` folder (``make lab`` does); the student's own settings (Settings → Document
Manager) still take precedence. It also writes ``jupytext.toml`` there, so that a notebook
saved from JupyterLab keeps its ``exercise`` metadata.

Command line (what ``make lab`` runs)::

    python -m normcourse.student [--exercises exercises] [--work work]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".normcourse-workspace.json"
CONFIG_DIR = ".jupyter"
LAB_OVERRIDES = Path(CONFIG_DIR) / "labconfig" / "default_setting_overrides.json"
JUPYTEXT_CONFIG = "jupytext.toml"
JUPYTEXT_SETTINGS = """\
# Written by `make lab` (normcourse.student), rewritten each time: when JupyterLab saves an
# exercise, keep its `exercise` metadata (the id the grader and check() know it by).
notebook_metadata_filter = "exercise"
"""
JUPYTEXT_NOTEBOOK = "Jupytext Notebook"  # the widget factory of jupytext's Lab extension
NOTEBOOK_FILE_TYPES = ("markdown", "myst")  # JupyterLab's file types of .md and .myst


@dataclass
class WorkspaceReport:
    """What :func:`prepare_workspace` did, by exercise file name (e.g. ``ex-ridge-svd.md``)."""

    work_dir: Path
    added: list[str] = field(default_factory=list)
    """Copied because the folder had no copy (a new exercise, or a deleted copy)."""
    refreshed: list[str] = field(default_factory=list)
    """Unedited copies replaced by the updated exercise."""
    kept: list[str] = field(default_factory=list)
    """Copies the student edited: left exactly as they are."""
    outdated: list[str] = field(default_factory=list)
    """The kept copies whose exercise changed since the copy was made (a subset of kept)."""
    unchanged: list[str] = field(default_factory=list)
    """Unedited copies of unchanged exercises."""

    def summary(self) -> str:
        """A few lines for the terminal: counts, names of what changed, how to update."""
        total = len(self.added) + len(self.refreshed) + len(self.kept) + len(self.unchanged)
        lines = [f"student folder {self.work_dir}: {total} exercise(s), "
                 f"{len(self.unchanged)} already up to date"]
        for label, names in (("added", self.added), ("refreshed (you had not edited them)",
                                                     self.refreshed),
                             ("kept as you edited them", self.kept)):
            if names:
                lines.append(f"  {label}: {', '.join(names)}")
        if self.outdated:
            lines.append(f"  updated since you started (your copy is kept; rename or delete "
                         f"it and run `make lab` again for the new version): "
                         f"{', '.join(self.outdated)}")
        return "\n".join(lines)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary file in its folder: never half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _cells_digest(data: bytes) -> str | None:
    """SHA-256 of the cells (type and source) of a MyST notebook, or None if jupytext is
    missing or cannot read it. JupyterLab rewrites the header of a notebook it saves, so
    equal cells, not equal bytes, tell that the student changed nothing."""
    try:
        import jupytext
    except ImportError:  # pragma: no cover - jupytext comes with the lab and grade extras
        return None
    try:
        nb = jupytext.reads(data.decode("utf-8"), fmt="md:myst")
    except Exception:  # anything unreadable counts as edited
        return None
    cells = [[c.cell_type, c.source] for c in nb.cells]
    return _digest(json.dumps(cells, ensure_ascii=False).encode("utf-8"))


@dataclass(frozen=True)
class _Fingerprint:
    sha256: str
    cells: str | None

    @classmethod
    def of(cls, data: bytes) -> _Fingerprint:
        return cls(_digest(data), _cells_digest(data))

    def matches(self, data: bytes, cells: str | None) -> bool:
        """``data`` (whose cell digest is ``cells``) is this content, or only re-saved."""
        return _digest(data) == self.sha256 or (self.cells is not None and cells == self.cells)


def _read_manifest(work_dir: Path) -> dict[str, _Fingerprint]:
    """File name → fingerprint of the content last copied; empty if missing or unreadable
    (then a copy that differs from its exercise counts as edited: nothing is overwritten)."""
    try:
        data = json.loads((work_dir / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        return {name: _Fingerprint(str(fp["sha256"]), fp.get("cells"))
                for name, fp in files.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _exercise_files(exercises_dir: Path) -> list[Path]:
    if not exercises_dir.is_dir():
        raise ValueError(f"exercises folder {exercises_dir} does not exist or is not a folder")
    files = sorted(p for p in exercises_dir.glob("*.md") if p.is_file())
    if not files:
        raise ValueError(f"exercises folder {exercises_dir} holds no exercise (*.md); "
                         f"run `make exercises` first")
    return files


def prepare_workspace(exercises_dir: str | os.PathLike[str],
                      work_dir: str | os.PathLike[str]) -> WorkspaceReport:
    """Create or update the student folder ``work_dir`` from ``exercises_dir``.

    Parameters
    ----------
    exercises_dir : path
        The released exercises, one ``<id>.md`` MyST notebook each (``exercises/``).
    work_dir : path
        The student's folder; created if missing. Copies the student edited are never
        overwritten (see the module docstring for the rules).

    Returns
    -------
    WorkspaceReport
        Which copies were added, refreshed, kept (edited) or already up to date.

    Raises
    ------
    ValueError
        If ``exercises_dir`` is not a folder or holds no ``*.md`` file, if ``work_dir``
        exists and is not a folder, or if both name the same folder.
    """
    src = Path(exercises_dir)
    dst = Path(work_dir)
    files = _exercise_files(src)
    if dst.exists() and not dst.is_dir():
        raise ValueError(f"student folder {dst} exists and is not a folder")
    if dst.exists() and dst.resolve() == src.resolve():
        raise ValueError(f"the student folder must not be the exercises folder ({src})")
    dst.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(dst)
    report = WorkspaceReport(dst)
    for path in files:
        name = path.name
        new = path.read_bytes()
        new_fp = _Fingerprint.of(new)
        copy = dst / name
        if copy.exists() and not copy.is_file():
            raise ValueError(f"{copy} exists and is not a file")
        if not copy.exists():
            _write_atomic(copy, new)
            manifest[name] = new_fp
            report.added.append(name)
            continue
        have = copy.read_bytes()
        have_cells = _cells_digest(have)
        old_fp = manifest.get(name)
        if new_fp.matches(have, have_cells):  # already this version (maybe re-saved)
            manifest[name] = new_fp
            report.unchanged.append(name)
        elif old_fp is not None and old_fp.matches(have, have_cells):  # not edited
            _write_atomic(copy, new)
            manifest[name] = new_fp
            report.refreshed.append(name)
        else:  # edited by the student (or unknown to the manifest): never overwritten
            report.kept.append(name)
            if old_fp is not None and old_fp.sha256 != new_fp.sha256:
                report.outdated.append(name)
    files_out = {k: {"sha256": v.sha256, "cells": v.cells}
                 for k, v in sorted(manifest.items()) if (dst / k).is_file()}
    body = json.dumps({"version": 1, "source": str(src.resolve()), "files": files_out},
                      indent=2) + "\n"
    _write_atomic(dst / MANIFEST, body.encode("utf-8"))
    return report


def write_lab_settings(work_dir: str | os.PathLike[str]) -> Path:
    """Write the JupyterLab defaults of the student folder; returns its config folder.

    ``<work_dir>/.jupyter/labconfig/default_setting_overrides.json`` makes Jupytext's
    notebook the default viewer of ``.md`` (and ``.myst``) files, and turns off the news
    pop-up and update check: point ``JUPYTER_CONFIG_PATH`` at the returned folder when
    starting JupyterLab. ``<work_dir>/jupytext.toml`` keeps the ``exercise`` metadata of a
    notebook JupyterLab saves (Jupytext drops unknown metadata otherwise). Both files are
    rewritten on every call: they are the course's, not the student's.

    Raises
    ------
    ValueError
        If ``work_dir`` is not an existing folder.
    """
    root = Path(work_dir)
    if not root.is_dir():
        raise ValueError(f"student folder {root} does not exist or is not a folder")
    target = root / LAB_OVERRIDES
    target.parent.mkdir(parents=True, exist_ok=True)
    settings = {
        "@jupyterlab/docmanager-extension:plugin": {
            "defaultViewers": {t: JUPYTEXT_NOTEBOOK for t in NOTEBOOK_FILE_TYPES}},
        # no "get Jupyter news?" pop-up and no request to a news feed or for updates
        "@jupyterlab/apputils-extension:notification": {
            "fetchNews": "false", "checkForUpdates": False},
    }
    _write_atomic(target, (json.dumps(settings, indent=2) + "\n").encode("utf-8"))
    _write_atomic(root / JUPYTEXT_CONFIG, JUPYTEXT_SETTINGS.encode("utf-8"))
    return root / CONFIG_DIR


def main(argv: list[str] | None = None) -> int:
    """``python -m normcourse.student``: prepare the folder; 0 on success, 2 on bad input."""
    p = argparse.ArgumentParser(
        prog="python -m normcourse.student",
        description="Prepare the student folder of `make lab`: copy new exercises, refresh "
                    "unedited copies, never overwrite an edited one.")
    p.add_argument("--exercises", type=Path, default=Path("exercises"),
                   help="released exercises (default: ./exercises)")
    p.add_argument("--work", type=Path, default=Path("work"),
                   help="the student folder (default: ./work)")
    try:
        args = p.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        report = prepare_workspace(args.exercises, args.work)
        write_lab_settings(args.work)
    except (ValueError, OSError) as exc:
        print(f"normcourse.student: error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
