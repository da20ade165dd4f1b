"""``make lab``: the student folder (normcourse.student) and JupyterLab serving it.

The workspace tests need nothing but the library. The server tests start a real, headless
JupyterLab on a free loopback port, with the settings ``make lab`` gives it, and talk to
it over its REST API and a kernel websocket, as the browser does: an exercise comes back
as a notebook, double-clicking a ``.md`` opens the notebook view, and a notebook run in a
kernel that the *server* started prints the self-check table.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from normcourse import student

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
EXERCISE = "ex-soft-threshold"


# ------------------------------------------------------------------------------ workspace


def _exercises(tmp_path: Path, **files: str) -> Path:
    src = tmp_path / "exercises"
    src.mkdir(exist_ok=True)
    for name, text in files.items():
        (src / f"{name}.md").write_text(text, encoding="utf-8")
    return src


def test_first_run_copies_every_exercise(tmp_path: Path) -> None:
    src = _exercises(tmp_path, a="A v1\n", b="B v1\n")
    work = tmp_path / "work"
    report = student.prepare_workspace(src, work)
    assert report.added == ["a.md", "b.md"]
    assert (work / "a.md").read_text() == "A v1\n"
    again = student.prepare_workspace(src, work)
    assert again.unchanged == ["a.md", "b.md"] and not again.added + again.refreshed
    assert "2 already up to date" in again.summary()


def test_edited_copy_is_never_overwritten_and_new_exercises_are_added(tmp_path: Path) -> None:
    src = _exercises(tmp_path, a="A v1\n", b="B v1\n")
    work = tmp_path / "work"
    student.prepare_workspace(src, work)
    (work / "a.md").write_text("A v1\nmy answer\n", encoding="utf-8")  # the student's work
    _exercises(tmp_path, a="A v2\n", b="B v2\n", c="C v1\n")  # upstream: updates and a new one
    report = student.prepare_workspace(src, work)
    assert (work / "a.md").read_text() == "A v1\nmy answer\n"
    assert report.kept == ["a.md"] and report.outdated == ["a.md"]
    assert report.refreshed == ["b.md"] and (work / "b.md").read_text() == "B v2\n"
    assert report.added == ["c.md"] and (work / "c.md").read_text() == "C v1\n"
    assert "a.md" in report.summary() and "rename or delete" in report.summary()
    # and on the run after that, still kept; outdated only while the exercise differs
    report = student.prepare_workspace(src, work)
    assert report.kept == ["a.md"] and (work / "a.md").read_text() == "A v1\nmy answer\n"


def test_deleted_copy_is_restored_and_nothing_is_deleted(tmp_path: Path) -> None:
    src = _exercises(tmp_path, a="A v1\n", b="B v1\n")
    work = tmp_path / "work"
    student.prepare_workspace(src, work)
    (work / "a.md").unlink()
    (src / "b.md").unlink()  # withdrawn upstream: the student's copy stays
    report = student.prepare_workspace(src, work)
    assert report.added == ["a.md"] and (work / "b.md").read_text() == "B v1\n"


def test_without_a_manifest_only_identical_copies_count_as_unedited(tmp_path: Path) -> None:
    src = _exercises(tmp_path, a="A v1\n", b="B v1\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.md").write_text("mine\n", encoding="utf-8")
    (work / "b.md").write_text("B v1\n", encoding="utf-8")
    (work / student.MANIFEST).write_text("{not json", encoding="utf-8")
    report = student.prepare_workspace(src, work)
    assert report.kept == ["a.md"] and report.outdated == [] and report.unchanged == ["b.md"]
    assert (work / "a.md").read_text() == "mine\n"
    _exercises(tmp_path, b="B v2\n")
    assert student.prepare_workspace(src, work).refreshed == ["b.md"]


def test_bad_input_raises_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        student.prepare_workspace(tmp_path / "missing", tmp_path / "work")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no exercise"):
        student.prepare_workspace(empty, tmp_path / "work")
    src = _exercises(tmp_path, a="A\n")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        student.prepare_workspace(src, tmp_path / "file")
    with pytest.raises(ValueError, match="must not be the exercises folder"):
        student.prepare_workspace(src, src)
    with pytest.raises(ValueError, match="does not exist"):
        student.write_lab_settings(tmp_path / "nowhere")


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _exercises(tmp_path, a="A\n")
    work = tmp_path / "work"
    assert student.main(["--exercises", str(src), "--work", str(work)]) == 0
    assert "added: a.md" in capsys.readouterr().out
    settings = json.loads((work / student.LAB_OVERRIDES).read_text())
    viewers = settings["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["markdown"] == student.JUPYTEXT_NOTEBOOK
    assert 'notebook_metadata_filter = "exercise"' in (work / "jupytext.toml").read_text()
    assert student.main(["--exercises", str(tmp_path / "none"), "--work", str(work)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_make_lab_uses_the_library_and_the_ignored_folder() -> None:
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "normcourse.student" in make and "JUPYTER_CONFIG_PATH" in make
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "/work/" in ignored


# --------------------------------------------------------------------------------- server

SOLUTION_CELLS = {
    "def soft_threshold": (
        "def soft_threshold(w, tau):\n"
        "    w = np.asarray(w, dtype=float)\n"
        "    return np.sign(w) * np.maximum(np.abs(w) - tau, 0.0)\n"
    ),
    "def ista": (
        "def ista(X, y, lam, n_iter):\n"
        "    X = np.asarray(X, dtype=float)\n"
        "    y = np.asarray(y, dtype=float)\n"
        "    n, p = X.shape\n"
        "    step = n / np.linalg.norm(X, 2) ** 2\n"
        "    theta = np.zeros(p)\n"
        "    for _ in range(n_iter):\n"
        "        grad = -X.T @ (y - X @ theta) / n\n"
        "        theta = soft_threshold(theta - step * grad, step * lam)\n"
        "    return theta\n"
    ),
}
START_TIMEOUT = 90.0  # a loaded 2-core machine can take a while to import JupyterLab
CELL_TIMEOUT = 90.0


@dataclass
class Lab:
    url: str
    token: str
    work: Path
    proc: subprocess.Popen

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server (it shuts its kernels down), then SIGKILL whatever is left of its
    process group. Kernels run in sessions of their own, but exit when the server dies."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed: "
                        "pip install -e '.[lab]' (make lab or make test installs it)")
    pytest.importorskip("jupytext", reason="jupytext is not installed: pip install -e '.[lab]'")
    pytest.importorskip("websocket", reason="websocket-client (a dependency of jupyter_server) "
                        "is not installed")
    base = tmp_path_factory.mktemp("lab")
    work = base / "work"
    student.prepare_workspace(EXERCISES, work)
    config = student.write_lab_settings(work)
    home = base / "home"  # keep the user's Jupyter files out of it, and this run out of theirs
    env = dict(os.environ,
               JUPYTER_CONFIG_PATH=str(config), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), IPYTHONDIR=str(home / "ipy"),
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    token = uuid.uuid4().hex
    log = base / "server.log"
    server = _start(work, env, token, log)
    try:
        yield server
    finally:
        _stop(server.proc)
        shutil.rmtree(home, ignore_errors=True)


def _start(work: Path, env: dict[str, str], token: str, log: Path) -> Lab:
    """Start JupyterLab on a free port and wait until its API answers (3 tries: a port
    found free may be taken before the server binds it)."""
    for _attempt in range(3):
        port = _free_port()
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
               "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        with log.open("wb") as fh:
            proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        server = Lab(f"http://127.0.0.1:{port}", token, work, proc)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while proc.poll() is None:
                try:
                    server.request("GET", "/api/status")
                    return server
                except (OSError, urllib.error.URLError):
                    if time.monotonic() > deadline:
                        pytest.fail(f"JupyterLab not ready in {START_TIMEOUT:.0f} s:\n"
                                    f"{log.read_text(errors='replace')[-3000:]}")
                    time.sleep(0.5)
        except BaseException:
            _stop(proc)
            raise
        proc.wait(timeout=20)  # exited: most likely the port was taken; try another
    pytest.fail(f"JupyterLab did not start:\n{log.read_text(errors='replace')[-3000:]}")


def test_an_exercise_opens_as_a_notebook(lab: Lab) -> None:
    for query in ("", "?type=notebook"):
        model = lab.request("GET", f"/api/contents/{EXERCISE}.md{query}")
        assert model["type"] == "notebook", model["type"]
        cells = model["content"]["cells"]
        assert any(c["cell_type"] == "markdown" for c in cells)
        assert any(c["cell_type"] == "code" and f'check("{EXERCISE}")' in c["source"]
                   for c in cells)
    # what a double-click does: the default viewer of .md files is jupytext's notebook
    settings = lab.request("GET", "/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    viewers = settings["schema"]["properties"]["defaultViewers"]["default"]
    assert viewers["markdown"] == student.JUPYTEXT_NOTEBOOK
    req = urllib.request.Request(f"{lab.url}/lab?token={lab.token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        page = resp.read().decode()
    assert "jupyterlab-jupytext" in page  # the Lab extension that provides that viewer


def _execute(ws, session: str, code: str) -> tuple[str, dict]:
    """Run ``code`` on the kernel behind ``ws``; (printed text, execute_reply content)."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                   "username": "student", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    out: list[str] = []
    reply: dict | None = None
    idle = False
    deadline = time.monotonic() + CELL_TIMEOUT
    while reply is None or not idle:
        if time.monotonic() > deadline:
            raise AssertionError(f"no answer in {CELL_TIMEOUT:.0f} s to:\n{code}\n{''.join(out)}")
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["header"]["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            out.append(content["data"].get("text/plain", "") + "\n")
        elif kind == "error":
            out.append("\n".join(content["traceback"]))
        elif kind == "execute_reply":
            reply = content
        elif kind == "status" and content["execution_state"] == "idle":
            idle = True
    return "".join(out), reply


def _wait_for_kernel(ws, session: str) -> None:
    """Ask for kernel_info until the kernel answers (the first request can be missed while
    the kernel starts)."""
    import websocket

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "kernel_info_request", "session": session,
                       "username": "student", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": {}, "channel": "shell",
            "buffers": []}))
        retry = time.monotonic() + 5
        while time.monotonic() < retry:
            try:
                msg = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if (msg["header"]["msg_type"] == "kernel_info_reply"
                    and msg.get("parent_header", {}).get("msg_id") == msg_id):
                return
    raise AssertionError(f"the kernel did not answer in {START_TIMEOUT:.0f} s")


def test_a_notebook_run_in_the_servers_kernel_prints_the_self_check(lab: Lab) -> None:
    import websocket

    path = f"{EXERCISE}.md"
    cells = lab.request("GET", f"/api/contents/{path}")["content"]["cells"]
    sess = lab.request("POST", "/api/sessions", {
        "path": path, "name": path, "type": "notebook", "kernel": {"name": "python3"}})
    kernel_id = sess["kernel"]["id"]
    session = uuid.uuid4().hex
    ws = websocket.create_connection(
        f"{lab.url.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels"
        f"?session_id={session}", header=[f"Authorization: token {lab.token}"], timeout=10)
    try:
        ws.settimeout(5)
        _wait_for_kernel(ws, session)
        ws.settimeout(CELL_TIMEOUT)
        printed, _ = _execute(ws, session, "import os, sys; print(os.getcwd()); "
                                           "print(sys.executable)")
        cwd, exe = printed.split()
        assert Path(cwd).resolve() == lab.work.resolve()  # the kernel runs in the folder
        assert Path(exe).resolve().parent == Path(sys.executable).resolve().parent
        replaced = set()
        for cell in (c for c in cells if c["cell_type"] == "code"):
            code = cell["source"]
            for marker, solution in SOLUTION_CELLS.items():
                if marker in code:
                    code = solution
                    replaced.add(marker)
            printed, reply = _execute(ws, session, code)
            assert reply["status"] == "ok", f"{code}\n{printed}"
        assert replaced == set(SOLUTION_CELLS)
        assert f"{EXERCISE} — public checks" in printed
        assert "FAIL" not in printed and "pass" in printed
        assert f"{EXERCISE}: 6/6 public points" in printed
    finally:
        ws.close()
        try:
            lab.request("DELETE", f"/api/sessions/{sess['id']}")
        except (OSError, urllib.error.URLError):
            pass


def test_a_copy_saved_from_lab_keeps_its_id_and_an_edited_one_is_kept(lab: Lab) -> None:
    """JupyterLab's save is a PUT of the notebook model: a plain re-save keeps the
    ``exercise`` metadata and does not count as an edit; an edited cell is never overwritten
    by the next ``make lab``."""
    path = "ex-kkt-2d.md"
    model = lab.request("GET", f"/api/contents/{path}")
    assert model["content"]["metadata"]["exercise"]["id"] == "ex-kkt-2d"
    lab.request("PUT", f"/api/contents/{path}",
                {"type": "notebook", "format": "json", "content": model["content"]})
    saved = (lab.work / path).read_text(encoding="utf-8")
    assert saved != (EXERCISES / path).read_text(encoding="utf-8")  # Lab rewrote the header
    assert "id: ex-kkt-2d" in saved  # ... and kept the id (jupytext.toml)
    report = student.prepare_workspace(EXERCISES, lab.work)
    assert path in report.unchanged and (lab.work / path).read_text(encoding="utf-8") == saved

    code = next(c for c in model["content"]["cells"] if c["cell_type"] == "code"
                and "NotImplementedError" in c["source"])
    code["source"] = code["source"].replace("raise NotImplementedError", "# my try\n    raise")
    lab.request("PUT", f"/api/contents/{path}",
                {"type": "notebook", "format": "json", "content": model["content"]})
    edited = (lab.work / path).read_text(encoding="utf-8")
    assert "# my try" in edited
    report = student.prepare_workspace(EXERCISES, lab.work)
    assert report.kept == [path]
    assert (lab.work / path).read_text(encoding="utf-8") == edited
