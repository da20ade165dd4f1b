"""The zygote: workers forked from one preloaded sandboxed process keep every isolation.

Each notebook's worker must still be a fresh process with a fresh private /tmp, its own
PID and network namespaces, only its own submission, its own uid; and a function that
hangs once gets a shorter limit on its later checks. (How much faster it is lives in
bench/grading.py, not here.)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from normcourse.grading import sandbox as sb

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None or os.geteuid() != 0,
    reason="the zygote runs with bubblewrap as root (.ci/run installs bubblewrap)",
)

PROBE = """\
import os, socket
seen = sorted(os.listdir('/tmp'))
open('/tmp/mine', 'w').write('x')
procs = [d for d in os.listdir('/proc') if d.isdigit()]
def facts():
    return [os.getpid(), os.getuid(), seen, sorted(os.listdir('/submission')),
            [n for _, n in socket.if_nameindex()], len(procs)]
"""


@pytest.fixture(scope="module")
def box() -> sb.Sandbox:
    b = sb.Sandbox.detect("bwrap")
    assert b.start_zygote(sb.Limits())
    yield b
    b.close()


def test_each_forked_worker_is_fresh_and_isolated(box: sb.Sandbox, tmp_path: Path) -> None:
    facts = []
    for name in ("alice", "bob"):
        sub = tmp_path / name
        sub.mkdir()
        (sub / f"{name}.md").write_text("notebook")
        run = sb.run_notebook(box, sub, [PROBE], [("facts", [])], sb.Limits())
        assert run.calls[0].status == "ok", run
        facts.append(run.calls[0].value)
    for (pid, uid, tmp, files, nics, nprocs), name in zip(facts, ("alice", "bob"),
                                                          strict=True):
        assert pid == 2 and nprocs == 2  # PID 2 of a namespace of its own (init is 1)
        assert uid != 0 and "mine" not in tmp  # unprivileged; a fresh /tmp (alice's is gone)
        assert files == [f"{name}.md"]  # only its own submission
        assert nics == ["lo"]  # no network


def test_a_forked_process_dies_with_its_worker(box: sb.Sandbox, tmp_path: Path) -> None:
    cells = ["import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n"
             "def f():\n    return 1"]
    run = sb.run_notebook(box, tmp_path, cells, [("f", [])], sb.Limits())
    assert run.calls[0].value == 1
    base = sb._UID_BASE + (os.getpid() % 100_000) * 64  # this process's uid slots
    assert not [pid for uid in range(base, base + 64) for pid in sb._pids_of(uid)]


def test_a_function_that_hung_once_gets_a_shorter_limit(box: sb.Sandbox,
                                                       tmp_path: Path) -> None:
    cells = ["import time\ndef f(x):\n    if x > 0:\n        time.sleep(60)\n    return x"]
    calls = [("f", [1]), ("f", [2]), ("f", [0]), ("f", [3])]
    run = sb.run_notebook(box, tmp_path, cells, calls, sb.Limits(timeout=5.0))
    first, second, ok, third = run.calls
    assert first.status == "timeout" and first.message == "did not return within 5 s"
    assert second.message == "did not return within 1 s (it had hung on an earlier check)"
    assert ok.status == "ok" and ok.value == 0
    assert third.status == "timeout" and "within 1 s" in third.message


def test_without_the_zygote_workers_start_on_their_own(tmp_path: Path) -> None:
    b = sb.Sandbox.detect("bwrap")  # no start_zygote: one bwrap process per worker
    tmp_path.chmod(0o755)
    run = sb.run_notebook(b, tmp_path, [PROBE], [("facts", [])], sb.Limits())
    _, uid, tmp, _, nics, _ = run.calls[0].value
    assert b.zygote is None and uid >= sb._UID_BASE
    assert "mine" not in tmp and nics == ["lo"]


def test_the_rlimits_fallback_as_root_uses_an_unprivileged_uid_when_it_can(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # (the interpreter here lives under /root, which another uid cannot read: then the
    # fallback keeps the grader's uid, as before; on an image with Python in /usr it drops)
    b = sb.Sandbox.detect("rlimits")
    monkeypatch.setattr(sb, "_others_can_run_python", lambda: True)
    with b.slot() as uid:
        assert uid is not None and uid >= sb._UID_BASE
    monkeypatch.setattr(sb, "_others_can_run_python", lambda: False)
    with b.slot() as uid:
        assert uid is None


def test_python_under_a_private_home_is_not_usable_by_other_uids(tmp_path: Path,
                                                                 monkeypatch) -> None:
    private = tmp_path / "home"
    (private / "py").mkdir(parents=True)
    private.chmod(0o700)
    monkeypatch.setattr(sb, "python_dirs", lambda: [str(private / "py")])
    assert not sb._others_can_run_python()
    private.chmod(0o755)
    tmp_path.chmod(0o755)
    ok = all(q.stat().st_mode & 0o005 == 0o005 for q in (private / "py").parents)
    assert sb._others_can_run_python() == ok


def test_after_one_crash_each_call_runs_in_a_child(box: sb.Sandbox, tmp_path: Path) -> None:
    # a function that kills its process on some inputs costs one restart, not one per check
    cells = ["import os\nstate = []\ndef f(x):\n    state.append(x)\n    if x > 0:\n"
             "        os._exit(1)\n    return len(state)"]
    calls = [("f", [0]), ("f", [1]), ("f", [0]), ("f", [2]), ("f", [0])]
    run = sb.run_notebook(box, tmp_path, cells, calls, sb.Limits())
    assert [c.status for c in run.calls] == ["ok", "crashed", "ok", "crashed", "ok"]
    assert run.restarts == 1
    # each isolated call starts from the state the cells left: the crash left no trace
    assert [c.value for c in run.calls if c.status == "ok"] == [1, 1, 1]
    assert run.calls[3].message == ("the process died during the call: the process exited "
                                    "(sys.exit/os._exit or a crash)")


def test_after_a_cell_hangs_later_cells_and_other_functions_get_shorter_limits(
        box: sb.Sandbox, tmp_path: Path) -> None:
    cells = ["def slow():\n    while True:\n        pass", "slow()", "slow()",
             "def f():\n    return 1\ndef g():\n    slow()"]
    run = sb.run_notebook(box, tmp_path, cells, [("g", []), ("f", []), ("g", [])],
                          sb.Limits(timeout=5.0, cell_timeout=5.0))
    assert [c.status for c in run.cells] == ["ok", "timeout", "timeout", "ok"]
    assert run.cells[1].error == "did not finish within 5 s (skipped)"
    assert run.cells[2].error == "did not finish within 1 s (skipped)"
    first, ok, again = run.calls
    assert first.message == "did not return within 1 s (something had hung before)"
    assert ok.value == 1
    assert again.message == "did not return within 1 s (it had hung on an earlier check)"


def test_workers_ending_in_the_background_keep_isolation_and_stderr(
        box: sb.Sandbox, tmp_path: Path) -> None:
    # grade() ends each finished worker in the background and takes the next one from the
    # processes made ahead: every notebook still gets a fresh, isolated process, its whole
    # stderr reaches the log, and nothing of a uid survives before the uid is free again
    cells = [PROBE, "import os, sys, time\nprint('from a cell', file=sys.stderr)\n"
             "if os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n"
             "def loud():\n    print('from a call', file=sys.stderr)\n    return 1"]
    runs = []
    for name in ("carol", "dave", "erin"):
        sub = tmp_path / name
        sub.mkdir()
        (sub / f"{name}.md").write_text("notebook")
        runs.append(sb.run_notebook(box, sub, cells, [("facts", []), ("loud", [])],
                                    sb.Limits(), background=True))
    for run, name in zip(runs, ("carol", "dave", "erin"), strict=True):
        (pid, uid, tmp, files, nics, nprocs), loud = (c.value for c in run.calls)
        assert pid == 2 and nprocs == 2 and uid != 0 and loud == 1
        assert "mine" not in tmp and files == [f"{name}.md"] and nics == ["lo"]
        err = run.wait()
        assert "from a cell" in err and "from a call" in err
    base = sb._UID_BASE + (os.getpid() % 100_000) * 64
    assert not [pid for uid in range(base, base + 64) for pid in sb._pids_of(uid)]
    free = list(box._uids.queue)  # each uid back once, after its worker ended
    assert len(free) == len(set(free)) == 64
