"""`cogov viz [SCENARIO] [--host 127.0.0.1] [--port 8765]`: start the visualiser.

Replaces itself with `solara run` on `cogov_sim/viz/app.py` (so Ctrl-C and signals reach the
server), offline: no version check, no telemetry, every asset served by the app itself.
Binds 127.0.0.1 unless told otherwise; a classroom server is an explicit `--host 0.0.0.0`.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from pathlib import Path

from cogov_sim.cli import int_at_least
from cogov_sim.errors import InputError
from cogov_sim.scenario import load

APP = Path(__file__).resolve().parent / "app.py"
CULL_TIMEOUT = "20s"
REPO = APP.parent.parent.parent


def server_command(host: str, port: int, production: bool = True) -> list[str]:
    """The `solara run` command line the app is started with."""
    cmd = [sys.executable, "-m", "solara", "run", str(APP), "--host", host, "--port", str(port),
           "--no-open", "--no-check-version"]
    return cmd + (["--production"] if production else [])


def plotly_bundle_dir() -> Path:
    """The installed plotly's folder holding `widgetbundle.js` (its FigureWidget front end)."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data"


def server_env(scenario: str | None = None, lang: str | None = None) -> dict[str, str]:
    """The child's environment: the package importable, telemetry off, the start settings."""
    env = dict(os.environ)
    paths = [str(REPO), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    # a tab whose connection dropped without closing is freed after this (solara's default:
    # 24 h); a closed tab is freed at once (its page-close beacon)
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT)
    # plotly's widget bundle (5 MB) served once as a cacheable file instead of inline in every
    # chart widget (see charts.bundle_url)
    env["SOLARA_ASSETS_EXTRA_LOCATIONS"] = str(plotly_bundle_dir())
    if scenario:
        env["COGOV_VIZ_SCENARIO"] = scenario
    if lang:
        env["COGOV_VIZ_LANG"] = lang
    return env


def _addresses(host: str, port: int) -> list[str]:
    if host not in ("0.0.0.0", "::"):
        return [f"http://{host}:{port}/"]
    out = [f"http://127.0.0.1:{port}/"]
    try:
        name = socket.gethostname()
        out += [f"http://{ip}:{port}/" for ip in
                sorted({a[4][0] for a in socket.getaddrinfo(name, None, socket.AF_INET)})
                if not ip.startswith("127.")]
    except OSError:
        pass
    return out


def check_port(host: str, port: int) -> None:
    """Fail fast, in one line, when the server could not listen there (the port is taken, the
    host is not an address of this machine), instead of solara's traceback seconds later."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        raise InputError("--host", f"value '{host}' is not an address of this machine ({e}); "
                         "allowed: e.g. 127.0.0.1, 0.0.0.0, localhost") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            s.bind(addr)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                other = port + 1 if port < 65535 else 8766
                raise InputError("--port", f"port {port} on {host} is already in use (another "
                                 f"`cogov viz`?); give another, e.g. --port {other}") from None
            raise InputError("--host", f"cannot listen on {host}:{port} ({e.strerror or e})") from None


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def exposure_warning(host: str, port: int) -> str:
    """What a server on a non-loopback address exposes, in one line (printed at start)."""
    where = "every network interface of this machine" if host in ("0.0.0.0", "::") else host
    return (f"cogov viz: warning: --host {host} listens on {where}, port {port}: anyone who can "
            "reach it can open the visualiser without a password, run simulations on this "
            "server's CPUs and memory, and load scenario files into it (read as data only: "
            "'extends' may name only shipped scenarios); use --host 127.0.0.1 to keep it local")


def cmd_viz(a: argparse.Namespace) -> int:
    if a.scenario:  # the user's mistake first: a bad name or file, whatever the port
        load(a.scenario)
        scenario = str(Path(a.scenario).resolve()) if Path(a.scenario).is_file() else a.scenario
    else:
        scenario = None
    check_port(a.host, a.port)
    print("cogov viz: open " + "  or  ".join(_addresses(a.host, a.port))
          + "  (Ctrl-C stops the server)", flush=True)
    if a.host not in LOOPBACK:
        print(exposure_warning(a.host, a.port), file=sys.stderr, flush=True)
    cmd = server_command(a.host, a.port)
    os.execve(cmd[0], cmd, server_env(scenario, a.lang))  # solara takes over: Ctrl-C reaches it


def register(sub: argparse._SubParsersAction) -> None:
    """Add `viz` to the `cogov` command."""
    v = sub.add_parser("viz", help="the browser visualiser (offline, 中文/English)")
    v.add_argument("scenario", nargs="?", help="scenario name or .toml file for the right-hand "
                   "side (default: committee; the left is fragmented)")
    v.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for a classroom)")
    v.add_argument("--port", type=int_at_least("--port", 1, 65535), default=8765,
                   help="port (default 8765)")
    v.add_argument("--lang", choices=("zh", "en"), default="zh",
                   help="starting language (the page has a switch)")
    v.set_defaults(func=cmd_viz)
