"""normcourse.grading.autograder: the Gradescope zip, and run_autograder on real submissions.

Each run test lays out a temporary root exactly as Gradescope does for /autograder (the zip
unpacked into ROOT/source with its permission bits, ROOT/run_autograder copied from it,
ROOT/submission, ROOT/results), skips setup.sh (no network) and runs ROOT/run_autograder
with this interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from normcourse.grading import autograder, spec
from normcourse.grading.sandbox import Limits

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
EXERCISES = REPO / "exercises"
EX = "ex-soft-threshold"
SECRET = "autograder-test-secret-4f1d2c"
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FALLBACK = "fell back to resource limits"


@pytest.fixture(scope="module")
def zip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("zip") / "autograder.zip"
    return autograder.build_zip([EX], out, SOLUTIONS, secret=SECRET)


@pytest.fixture(scope="module")
def checks() -> dict[str, str]:
    """Gradescope test name → visibility of the exercise's checks."""
    ex, _ = spec.load_solution(SOLUTIONS / f"{EX}.md")
    return {f"{EX}/{c.name}": c.visibility for c in ex.checks}


def install(zip_path: Path, root: Path) -> Path:
    """Lay out ``root`` as Gradescope lays out /autograder (setup.sh is not run)."""
    source = root / "source"
    source.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            target = source / info.filename
            zf.extract(info, source)
            mode = (info.external_attr >> 16) & 0o7777
            if mode and not info.is_dir():
                os.chmod(target, mode)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


def run_autograder(root: Path, sandbox: str | None = None, python: str = sys.executable,
                   path: str | None = None) -> tuple[dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items()
           if k not in (spec.SECRET_ENV, autograder.SANDBOX_ENV)}
    env.update({autograder.ROOT_ENV: str(root), autograder.PYTHON_ENV: python})
    if path is not None:
        env["PATH"] = path
    if sandbox is not None:
        env[autograder.SANDBOX_ENV] = sandbox
    proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=150)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    return data, proc.stdout + proc.stderr


def validate(data: dict[str, Any], checks: dict[str, str] | None = None) -> None:
    """A valid Gradescope results.json; with ``checks``, exactly those tests."""
    for key in ("score", "execution_time", "output", "visibility", "stdout_visibility",
                "tests"):
        assert key in data, key
    num = (int, float)
    assert isinstance(data["score"], num) and not isinstance(data["score"], bool)
    assert isinstance(data["execution_time"], num) and data["execution_time"] >= 0
    assert isinstance(data["output"], str) and data["output"]
    assert data["visibility"] in VISIBILITIES
    assert data["stdout_visibility"] in VISIBILITIES
    tests = data["tests"]
    assert isinstance(tests, list)
    for t in tests:
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["score"], num) and isinstance(t["max_score"], num)
        assert 0 <= t["score"] <= t["max_score"]
        assert t["status"] in ("passed", "failed")
        assert (t["status"] == "passed") == (t["score"] == t["max_score"])
        assert isinstance(t["output"], str)
        assert t["visibility"] in VISIBILITIES
    assert len({t["name"] for t in tests}) == len(tests)
    assert data["score"] == pytest.approx(sum(t["score"] for t in tests))
    if checks is not None:
        assert [t["name"] for t in tests] == list(checks)
        for t in tests:
            want = "after_published" if checks[t["name"]] == "hidden" else "visible"
            assert t["visibility"] == want, t["name"]


def max_score(data: dict[str, Any]) -> float:
    return float(sum(t["max_score"] for t in data["tests"]))


def isolation_line(data: dict[str, Any]) -> str:
    first = data["output"].splitlines()[0]
    assert first.startswith("Isolation: ")
    assert "bubblewrap sandbox" in first or FALLBACK in first
    return first


# ---------------------------------------------------------------------------- the zip


def test_zip_layout(zip_path: Path) -> None:
    with zipfile.ZipFile(zip_path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        names = set(infos)
        cfg = json.loads(zf.read("source/autograder.json"))
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
        assert zf.read("source/secret").decode() == SECRET
        others = {n: zf.read(n) for n in names if n != "source/secret"}
    for required in ("setup.sh", "run_autograder", "source/pyproject.toml", "source/README.md",
                     "source/normcourse/__init__.py", "source/normcourse/grading/grader.py",
                     "source/normcourse/grading/autograder.py",
                     f"source/normcourse/grading/public/{EX}.json", f"source/solutions/{EX}.md"):
        assert required in names, required
    assert [n for n in names if n.startswith("source/solutions/")] == [f"source/solutions/{EX}.md"]
    for n in names:
        parts = n.split("/")
        assert parts[0] in ("setup.sh", "run_autograder", "source"), n
        assert not {"tests", "book", "exercises", "__pycache__", "_build"} & set(parts), n
        assert not n.endswith((".pyc", ".pyo")) and not any(p.startswith(".") for p in parts), n
        assert "egg-info" not in n, n
    mode = {n: (i.external_attr >> 16) & 0o777 for n, i in infos.items()}
    assert mode["setup.sh"] == mode["run_autograder"] == 0o755
    assert mode["source/secret"] == 0o600
    assert all(mode[n] == 0o644 for n in names if n.startswith("source/") and n != "source/secret")
    # The secret is in its own file only; no other exercise's hidden material anywhere.
    assert not [n for n, data in others.items() if SECRET.encode() in data]
    other_ids = [p.stem for p in SOLUTIONS.glob("ex-*.md") if p.stem != EX]
    assert other_ids and not [n for n in names if any(f"solutions/{i}" in n for i in other_ids)]
    assert cfg["exercises"] == [EX] and cfg["secret"] is True
    assert Limits(**cfg["limits"]) == Limits()
    assert [c["name"] for c in cfg["assignment"][0]["checks"]][:1] == ["soft-threshold-values"]
    assert "https://download.pytorch.org/whl/cpu" in setup and '"torch==2.13.0"' in setup
    assert "bubblewrap" in setup and "[grade]" in setup and "/venv" in setup
    assert "deadsnakes" in setup and "python3.11" in setup
    assert setup.index("whl/cpu") < setup.index("[grade]")  # torch first: no CUDA build
    assert "AUTOGRADER_ROOT:-/autograder" in run and "NORMCOURSE_AUTOGRADER_PYTHON" in run
    assert "normcourse.grading.autograder run --root" in run
    for script in (setup, run):
        subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_zip_is_reproducible_and_secret_is_optional(tmp_path: Path, zip_path: Path) -> None:
    again = autograder.build_zip([EX], tmp_path / "again.zip", SOLUTIONS, secret=SECRET)
    assert again.read_bytes() == zip_path.read_bytes()
    assert stat.S_IMODE(again.stat().st_mode) == 0o600  # it holds the secret
    plain = autograder.build_zip([EX, EX], tmp_path / "plain.ZIP", SOLUTIONS,
                                 limits=Limits(timeout=5.0))
    with zipfile.ZipFile(plain) as zf:
        assert "source/secret" not in zf.namelist()
        cfg = json.loads(zf.read("source/autograder.json"))
    assert cfg["exercises"] == [EX] and cfg["secret"] is False
    assert cfg["limits"]["timeout"] == 5.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exercise_ids": []}, "at least one exercise"),
        ({"exercise_ids": EX}, "not one string"),
        ({"exercise_ids": ["ex-no-such-thing"]}, EX),
        ({"exercise_ids": [EX, "ex-nope"]}, "ex-nope"),
        ({"out": "autograder.tar"}, ".zip"),
        ({"out": "autograder"}, ".zip"),
        ({"out": "missing-folder/autograder.zip"}, "does not exist"),
        ({"solutions": "no-solutions-here"}, "solutions folder not found"),
        ({"secret": "   "}, "secret"),
        ({"limits": {"timeout": 5}}, "Limits"),
    ],
)
def test_build_zip_rejects_bad_arguments(tmp_path: Path, kwargs: dict[str, Any],
                                         message: str) -> None:
    args: dict[str, Any] = {"exercise_ids": [EX], "out": "autograder.zip",
                            "solutions": SOLUTIONS}
    args.update(kwargs)
    args["out"] = tmp_path / args["out"]
    if isinstance(args["solutions"], str):
        args["solutions"] = tmp_path / args["solutions"]
    with pytest.raises(ValueError) as err:
        autograder.build_zip(**args)
    assert message in str(err.value)
    assert not list(tmp_path.rglob("*.zip")) and not list(tmp_path.rglob("*.tar"))


def test_build_zip_rejects_a_folder_as_out(tmp_path: Path) -> None:
    (tmp_path / "x.zip").mkdir()
    with pytest.raises(ValueError, match="is a folder"):
        autograder.build_zip([EX], tmp_path / "x.zip", SOLUTIONS)


def test_build_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.zip"
    assert autograder.main(["build", "--exercise", EX, "--out", str(out),
                            "--solutions", str(SOLUTIONS), "--secret", SECRET]) == 0
    assert zipfile.ZipFile(out).read("source/secret").decode() == SECRET
    assert autograder.main(["build", "--exercise", "ex-nope", "--out", str(tmp_path / "b.zip"),
                            "--solutions", str(SOLUTIONS)]) == 2
    assert "ex-soft-threshold" in capsys.readouterr().err


# ---------------------------------------------------------------------------- run_autograder


def test_right_submission_gets_full_marks(tmp_path: Path, zip_path: Path,
                                          checks: dict[str, str]) -> None:
    import jupytext

    root = install(zip_path, tmp_path / "autograder")
    nb = jupytext.read(SOLUTIONS / f"{EX}.md")
    (root / "submission" / "work").mkdir()
    jupytext.write(nb, root / "submission" / "work" / f"{EX}.ipynb")
    data, log = run_autograder(root)
    validate(data, checks)
    assert data["score"] == max_score(data) == 13
    assert all(t["status"] == "passed" for t in data["tests"])
    isolation_line(data)
    assert "Total 13 / 13" in data["output"]
    assert "graded: 13 / 13" in log
    # The bundle and the results are root-only after the run.
    assert stat.S_IMODE((root / "source").stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "results").stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "source" / "source" / "secret").stat().st_mode) == 0o600


def test_wrong_submission_gets_zero(tmp_path: Path, zip_path: Path,
                                    checks: dict[str, str]) -> None:
    root = install(zip_path, tmp_path / "autograder")
    shutil.copy(EXERCISES / f"{EX}.md", root / "submission" / f"{EX}.md")
    data, _ = run_autograder(root)
    validate(data, checks)
    assert data["score"] == 0 and max_score(data) == 13
    assert all(t["status"] == "failed" for t in data["tests"])
    assert all("not implemented yet" in t["output"] for t in data["tests"])
    isolation_line(data)


HOSTILE = '''---
exercise: {{id: ex-soft-threshold}}
---

```{{code-cell}} ipython3
import json
import os
import pathlib
import time

import numpy as np

ROOT = pathlib.Path({root!r})
MARK = pathlib.Path({mark!r})
FAKE = json.dumps({{"score": 1000.0, "output": "FAKE RESULTS", "tests": []}})


def plant():
    try:
        (ROOT / "results" / "results.json").write_text(FAKE)
    except OSError:
        pass


def steal():
    found = []
    for p in (ROOT / "source" / "source" / "secret",
              ROOT / "source" / "source" / "solutions" / "ex-soft-threshold.md"):
        try:
            found.append(p.read_text()[:200])
        except OSError:
            pass
    return found


def daemon():
    """A grandchild in a session of its own (out of the worker's process group)."""
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            end = time.time() + 30
            while time.time() < end:
                plant()
                try:
                    MARK.write_text(repr(time.time()))
                except OSError:
                    pass
                time.sleep(0.05)
        os._exit(0)
    os.waitpid(pid, 0)


plant()
daemon()
```

```{{code-cell}} ipython3
def soft_threshold(w, tau):
    plant()
    w = np.asarray(w, dtype=float)
    return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0)


def ista(X, y, lam, n_iter):
    plant()
    stolen = steal()
    raise RuntimeError("STOLEN: " + " | ".join(stolen) if stolen else "nothing to steal")
```
'''


@pytest.mark.parametrize("sandbox", ["auto", "rlimits"])
def test_hostile_submission_cannot_forge_results(tmp_path: Path, zip_path: Path,
                                                 checks: dict[str, str], sandbox: str) -> None:
    root = install(zip_path, tmp_path / "autograder")
    mark = tmp_path / "daemon-alive"
    (root / "submission" / f"{EX}.md").write_text(HOSTILE.format(root=str(root), mark=str(mark)))
    data, log = run_autograder(root, sandbox)
    validate(data, checks)
    # soft_threshold is right (4 points, 2 of them hidden); ista always raises.
    assert data["score"] == 4 and max_score(data) == 13
    passed = {t["name"].split("/")[1] for t in data["tests"] if t["status"] == "passed"}
    assert passed == {"soft-threshold-values", "soft-threshold-exact-zeros",
                      "soft-threshold-matrix", "soft-threshold-tau-zero"}
    assert "FAKE RESULTS" not in json.dumps(data)
    line = isolation_line(data)
    if "bubblewrap sandbox" in line:  # the bundle is not even mounted in the sandbox
        assert SECRET not in json.dumps(data) and "STOLEN" not in json.dumps(data)
        assert "nothing to steal" in json.dumps(data)
    else:
        assert FALLBACK in line
    # Whatever the submission left running is dead: nothing rewrites the results later.
    before = mark.read_text() if mark.exists() else None
    time.sleep(1.0)
    after = json.loads((root / "results" / "results.json").read_text())
    assert after == data
    assert (mark.read_text() if mark.exists() else None) == before
    if before is not None:  # the daemon did run (no PID namespace): it was killed
        assert "process(es) the submission left running were killed" in data["output"]
        assert "leftover process(es) killed" in log


@pytest.mark.parametrize("how", ["requested", "no-bwrap"])
def test_fallback_to_resource_limits_is_announced(tmp_path: Path, zip_path: Path,
                                                  checks: dict[str, str], how: str) -> None:
    root = install(zip_path, tmp_path / "autograder")
    shutil.copy(SOLUTIONS / f"{EX}.md", root / "submission" / "answer.md")
    if how == "requested":
        data, _ = run_autograder(root, "rlimits")
        why = "NORMCOURSE_SANDBOX=rlimits"
    else:  # a container without bubblewrap: only what run_autograder needs is on PATH
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        for tool in ("bash", "cat", "chmod", "mkdir"):
            (bin_dir / tool).symlink_to(shutil.which(tool) or f"/bin/{tool}")
        data, _ = run_autograder(root, path=str(bin_dir))
        why = "bubblewrap could not run in this container"
    validate(data, checks)
    assert data["score"] == 13
    line = isolation_line(data)
    assert FALLBACK in line and "WARNING" in line and why in line
    assert "bubblewrap sandbox" not in line


def test_broken_submissions_still_get_results(tmp_path: Path, zip_path: Path,
                                              checks: dict[str, str]) -> None:
    root = install(zip_path, tmp_path / "autograder")
    (root / "submission" / "notes.txt").write_text("I did not do it")
    (root / "submission" / "link.md").symlink_to(root / "source" / "source" / "secret")
    data, _ = run_autograder(root, "rlimits")
    validate(data, checks)
    assert data["score"] == 0
    assert "no notebook" in data["output"]
    assert "link.md: a symbolic link (ignored)" in data["output"]
    assert SECRET not in json.dumps(data)


def test_internal_errors_give_a_score_zero_result(tmp_path: Path, zip_path: Path,
                                                  checks: dict[str, str]) -> None:
    root = install(zip_path, tmp_path / "autograder")
    shutil.copy(SOLUTIONS / f"{EX}.md", root / "submission" / f"{EX}.md")
    data, _ = run_autograder(root, "no-such-sandbox")
    validate(data, checks)
    assert data["score"] == 0 and "NORMCOURSE_SANDBOX" in data["output"]
    assert all(t["status"] == "failed" for t in data["tests"])

    shutil.rmtree(root / "source" / "source" / "solutions")
    data, log = run_autograder(root)
    validate(data, checks)
    assert data["score"] == 0 and "internal autograder error" in data["output"]
    assert "Traceback" in log  # the details are in the log (instructors only)

    (root / "source" / "source" / "autograder.json").unlink()
    data, _ = run_autograder(root)
    validate(data)
    assert data["score"] == 0 and "configuration" in data["output"]

    # Not even the interpreter: run_autograder's own score-0 result stays.
    (root / "results" / "results.json").unlink()
    env_python = str(tmp_path / "no-python-here")
    env = {**os.environ, autograder.ROOT_ENV: str(root), autograder.PYTHON_ENV: env_python}
    subprocess.run([str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                   timeout=30)
    data = json.loads((root / "results" / "results.json").read_text())
    validate(data)
    assert data["score"] == 0 and "did not finish" in data["output"]


def test_the_cli_builds_the_zip_and_rejects_an_unknown_exercise(tmp_path: Path) -> None:
    from normcourse.__main__ import main

    out = tmp_path / "autograder.zip"
    assert main(["autograder", "--exercise", "ex-soft-threshold", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        assert {"setup.sh", "run_autograder"} <= set(z.namelist())
    assert main(["autograder", "--exercise", "ex-nope", "--out", str(out)]) == 2
