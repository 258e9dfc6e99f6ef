"""The package as a user installs it (issue 24): build the wheel, install it into a fresh virtual
environment outside the repository, and run the smoke set from an empty temporary folder.

Only cogov-sim itself comes from the wheel. Its third-party dependencies are, by default, the
ones already installed in the environment running the tests: the fresh venv sees that
environment's site-packages through a `.pth` file (a plain path entry: that environment's own
`.pth` files, among them the editable install of this clone, are not processed), so installing
takes seconds instead of minutes. `test_cogov_sim_comes_from_the_wheel` proves the package is
imported from the new venv and that no other entry of its path holds a `cogov_sim`. Set
COGOV_WHEEL_FULL_INSTALL=1 to install every dependency afresh from the index instead (what CI
can afford; a few minutes with pip's cache warm).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FULL = os.environ.get("COGOV_WHEEL_FULL_INSTALL") == "1"


def _sh(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stdout}\n{res.stderr}"
    return res


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv with the wheel built from this source tree installed."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"  # a copy: building never writes build/ or egg-info into the clone
    shutil.copytree(REPO / "cogov_sim", src / "cogov_sim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    _sh([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
         "--disable-pip-version-check", str(src), "-w", str(root / "dist")])
    wheel = next((root / "dist").glob("cogov_sim-*.whl"))
    env = root / "venv"
    _sh([sys.executable, "-m", "venv", str(env)])
    py = env / "bin" / "python"
    if not FULL:
        site = _sh([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
        Path(site.stdout.strip(), "dev-dependencies.pth").write_text(
            sysconfig.get_paths()["purelib"] + "\n")
        # and their data files: solara-assets' offline JS/CSS (PREFIX/share/solara), the
        # widgets' Jupyter configuration (PREFIX/etc/jupyter, PREFIX/share/jupyter)
        for folder in ("share", "etc"):
            if Path(sys.prefix, folder).is_dir() and not (env / folder).exists():
                (env / folder).symlink_to(Path(sys.prefix, folder))
    _sh([str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *([] if FULL else ["--no-deps"]), str(wheel)])
    return env


@pytest.fixture
def user(venv, tmp_path):
    """Run a command of the venv from an empty folder, as a user whose PATH has the venv."""
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "COGOV_SCENARIO_PATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    def run(*args: str, ok: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        res = subprocess.run([str(venv / "bin" / args[0]), *args[1:]], cwd=work, env=env,
                             capture_output=True, text=True, timeout=timeout)
        if ok:
            assert res.returncode == 0, f"{args}\n{res.stdout}\n{res.stderr}"
        return res
    run.work, run.env = work, env  # type: ignore[attr-defined]
    return run


def test_no_repository_in_sight(user):
    assert not any((p / ".git").exists() or (p / "pyproject.toml").exists()
                   for p in [user.work, *user.work.parents])


def test_cogov_sim_comes_from_the_wheel(user, venv):
    out = user("python", "-c", "import sys, cogov_sim; print(cogov_sim.__file__); "
               "print('\\n'.join(sys.path))").stdout.splitlines()
    assert Path(out[0]).is_relative_to(venv)
    others = [Path(p) for p in out[1:] if p and not Path(p).resolve().is_relative_to(venv)]
    assert REPO not in [p.resolve() for p in others]
    assert not [p for p in others if (p / "cogov_sim").exists()]  # only the wheel's copy
    listed = user("python", "-m", "pip", "show", "-f", "cogov-sim").stdout
    assert "Editable project location" not in listed
    data = [p.relative_to(REPO).as_posix() for p in (REPO / "cogov_sim").rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert "cogov_sim/data/scenarios/committee.toml" in data
    assert [f for f in data if f not in listed] == []  # every file beside the code is shipped


def test_version_is_the_metadata_version(user):
    assert user("cogov", "--version").stdout.strip() == f"cogov-sim {version('cogov-sim')}"


def test_scenarios_run_compare_explain(user):
    listed = user("cogov", "scenarios").stdout
    assert re.search(r"^committee\s+shipped\s+社治委", listed, re.M)
    assert re.search(r"^fragmented\s+shipped\s", listed, re.M)
    # the literal `run committee --days 30` meets the 30-day warm-up: one line, exit 2
    short = user("cogov", "run", "committee", "--days", "30", ok=False)
    assert short.returncode == 2 and short.stderr.count("\n") == 1 and "warmup" in short.stderr
    run = user("cogov", "run", "committee", "--days", "30", "--set", "run.warmup_days=5").stdout
    assert "committee" in run and "resolution" in run
    cmp = user("cogov", "compare", "fragmented", "committee", "-r", "2", "--days", "60",
               "--workers", "1").stdout
    assert "difference" in cmp or "fragmented" in cmp
    ex = user("cogov", "explain", "fragmented", "committee", "--from",
              "results/explain-fragmented-committee/explain.json", "--top", "3")
    assert "structure" in ex.stdout and ex.stderr == ""  # the shipped scenarios match its hashes
    shown = user("cogov", "infer", "--show", "results/posterior").stdout  # the shipped posterior
    assert "posterior predictive, held out:" in shown and "over the posterior" in shown


def test_batch_of_a_shipped_experiment_and_init(user):
    out = user("cogov", "batch", "quickstart", "--workers", "2").stdout
    assert "6 ok, 0 failed" in out
    assert (user.work / "results" / "quickstart" / "runs.parquet").is_file()
    user("cogov", "init", "mine")
    assert (user.work / "mine" / "experiments" / "quickstart.toml").is_file()
    bad = user("cogov", "run", "comittee", ok=False)
    assert bad.returncode == 2 and "did you mean 'committee'" in bad.stderr
    assert "Traceback" not in bad.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.read()


def test_viz_serves_its_page_and_bundle_offline(user, venv):
    port = _free_port()
    # no network: any request the server made to a CDN would go to a closed local port
    dead = f"http://127.0.0.1:{_free_port()}"
    env = {**user.env, "http_proxy": dead, "https_proxy": dead, "HTTP_PROXY": dead,
           "HTTPS_PROXY": dead, "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}
    log = user.work.parent / "viz.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(venv / "bin" / "cogov"), "viz", "--port", str(port)],
                                cwd=user.work, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # the server's start-up, polled (no timing asserted)
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                status, page = _get(base + "/")
                break
            except urllib.error.HTTPError as e:
                pytest.fail(f"cogov viz answered {e.code}: {e.read()[-2000:]!r}")
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("cogov viz never answered")
        assert status == 200
        html = page.decode()
        scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
        assert scripts and not [s for s in scripts if re.match(r"(https?:)?//", s)], scripts
        bundle = next(s for s in scripts if "solara-vuetify-app" in s)
        status, js = _get(base + bundle)
        assert status == 200 and len(js) > 100_000
        for other in scripts:
            assert _get(base + other)[0] == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
