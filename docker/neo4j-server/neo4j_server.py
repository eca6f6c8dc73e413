#!/usr/bin/env python3
"""Start, check and stop the Neo4j Community + GDS + Browser server that `pom.xml` assembles.

Standard library only, so it runs before (and without) Linkage's virtualenv:

    python3 docker/neo4j-server/neo4j_server.py start --dir /tmp/linkage-neo4j   # prints the env to use
    python3 docker/neo4j-server/neo4j_server.py status --dir /tmp/linkage-neo4j
    python3 docker/neo4j-server/neo4j_server.py stop --dir /tmp/linkage-neo4j

Each instance lives in a directory of its own (conf, data, logs, run, `server.json` with the pid,
ports and password); ports are free loopback ports picked at start unless given. `start` returns
only once `RETURN gds.version()` answers over HTTP, so GDS failing to load fails the start.
The tests use `start()` / `stop()` from Python (tests/neo4j_server.py).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_HOME = HERE / "target" / "neo4j-home"   # lib/ and plugins/ written by `mvn package`
USER = "neo4j"
START_TIMEOUT_S = 180.0

# The JVM flags Neo4j's own neo4j.conf passes (server.jvm.additional), which the launcher would add.
JVM_FLAGS = [
    "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields", "-XX:+DisableExplicitGC", "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true", "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true", "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints", "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED", "-Dlog4j2.disable.jmx=true",
]


class ServerError(RuntimeError):
    """The server could not be assembled, started or reached; the message says where its logs are."""


@dataclass
class ServerInfo:
    dir: str
    pid: int
    bolt_port: int
    http_port: int
    user: str
    password: str
    heap: str

    @property
    def bolt_url(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def neo4j_url(self) -> str:
        return f"neo4j://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"

    @property
    def logs(self) -> Path:
        return Path(self.dir) / "logs"

    def env(self) -> dict[str, str]:
        """What Linkage needs to use this server as its store."""
        return {"LINKAGE_STORE": self.neo4j_url, "LINKAGE_NEO4J_USER": self.user,
                "LINKAGE_NEO4J_PASSWORD": self.password}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_tools() -> list[str]:
    """java and mvn are what assembling and running the server needs."""
    return [tool for tool in ("java", "mvn") if shutil.which(tool) is None]


def assemble(home: Path = DEFAULT_HOME, offline: bool = False) -> Path:
    """Run `mvn package` unless lib/ and plugins/ are already there."""
    if _assembled(home):
        return home
    if missing := missing_tools():
        raise ServerError(f"cannot assemble the Neo4j server: {', '.join(missing)} not found")
    cmd = ["mvn", "-B", "-q", "-f", str(HERE / "pom.xml"), "package"] + (["-o"] if offline else [])
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not _assembled(home):
        raise ServerError(f"mvn package failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return home


def _assembled(home: Path) -> bool:
    return any((home / "lib").glob("neo4j-5.*.jar")) and any((home / "plugins").glob("*graph-data-science*.jar"))


def _config(home: Path, state: Path, bolt: int, http: int, page_cache: str) -> str:
    lines = {
        "server.directories.data": state / "data",
        "server.directories.logs": state / "logs",
        "server.directories.run": state / "run",
        "server.directories.import": state / "import",
        "server.directories.plugins": home / "plugins",
        "server.directories.lib": home / "lib",
        "server.default_listen_address": "127.0.0.1",
        "server.bolt.listen_address": f"127.0.0.1:{bolt}",
        "server.bolt.advertised_address": f"127.0.0.1:{bolt}",
        "server.http.listen_address": f"127.0.0.1:{http}",
        "server.http.advertised_address": f"127.0.0.1:{http}",
        "server.https.enabled": "false",
        "server.memory.pagecache.size": page_cache,
        "dbms.security.procedures.unrestricted": "gds.*",
        "dbms.security.auth_enabled": "true",
        "dbms.usage_report.enabled": "false",
        "server.logs.gc.enabled": "false",
        # By the time Bolt shuts down every database has stopped and its transactions are closed, so
        # its two 5 s grace periods (jobs, then connections) wait for nothing: without them a stop
        # takes under a second instead of ~10 s (twice per test session: the test and bulk servers).
        "internal.server.bolt.thread_pool_shutdown_wait_time": "0s",
        "internal.server.bolt.connection_shutdown_wait_time": "0s",
    }
    return "".join(f"{k}={v}\n" for k, v in lines.items())


def _java_cmd(home: Path, state: Path, heap: str, main: str, *args: str) -> list[str]:
    return ["java", f"-Xms{heap}" if main.endswith("EntryPoint") else "-Xms64m", f"-Xmx{heap}",
            # plugins/ on the class path too, as Neo4j's own launcher does: kernel extensions (GDS
            # registers its procedures' components through one) are found only there.
            *JVM_FLAGS, "-cp", f"{home / 'lib' / '*'}:{home / 'plugins' / '*'}", main,
            *args]


def _admin(home: Path, state: Path, heap: str, *args: str) -> None:
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(state / "conf"))
    done = subprocess.run(_java_cmd(home, state, "256m", "org.neo4j.cli.AdminTool", *args),
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise ServerError(f"neo4j-admin {' '.join(args[:2])} failed: {done.stdout}{done.stderr}")


def admin(state_dir: str | Path, *args: str, home: Path = DEFAULT_HOME, heap: str = "1g",
          cwd: str | Path | None = None) -> str:
    """Run the assembly's own neo4j-admin for the instance in `state_dir`; its output, or ServerError.

    The instance need not have started yet: its conf is written if it has none, so that
    `database import full` can build a fresh database in its data directory before the first
    start (`start` rewrites the conf with its ports). `cwd`: where relative file names resolve.
    """
    state = Path(state_dir).resolve()
    home = assemble(home)
    for sub in ("conf", "data", "logs", "run", "import"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    conf = state / "conf" / "neo4j.conf"
    if not conf.is_file():
        conf.write_text(_config(home, state, free_port(), free_port(), "128m"))
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(state / "conf"))
    done = subprocess.run(_java_cmd(home, state, heap, "org.neo4j.cli.AdminTool", *args),
                          env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ServerError(f"neo4j-admin {' '.join(args[:3])} failed ({done.returncode}): "
                          f"{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.stdout


def start(state_dir: str | Path, *, home: Path = DEFAULT_HOME, bolt_port: int = 0, http_port: int = 0,
          heap: str = "768m", page_cache: str = "128m", password: str | None = None,
          timeout_s: float = START_TIMEOUT_S) -> ServerInfo:
    """Start a server whose state lives in `state_dir`; wait until GDS answers."""
    state = Path(state_dir).resolve()
    if (running := status(state)) is not None:
        return running
    home = assemble(home)
    for sub in ("conf", "data", "logs", "run", "import"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    bolt, http = bolt_port or free_port(), http_port or free_port()
    password = password or _saved_password(state) or _new_password()
    (state / "conf" / "neo4j.conf").write_text(_config(home, state, bolt, http, page_cache))
    if not (state / "data" / "dbms").exists():  # the system database keeps the password after the first start
        _admin(home, state, heap, "dbms", "set-initial-password", password)
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(state / "conf"))
    with open(state / "logs" / "console.log", "ab") as console:
        proc = subprocess.Popen(
            _java_cmd(home, state, heap, "org.neo4j.server.CommunityEntryPoint",
                      f"--home-dir={home}", f"--config-dir={state / 'conf'}"),
            env=env, stdout=console, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    info = ServerInfo(str(state), proc.pid, bolt, http, USER, password, heap)
    (state / "server.json").write_text(json.dumps(asdict(info), indent=2))
    try:
        _wait_for_gds(info, proc, timeout_s)
    except BaseException:
        stop(state)
        raise
    return info


def _new_password() -> str:
    """A random password that the admin tool cannot mistake for an option: `token_urlsafe` starts with
    '-' once in 64 draws, and `set-initial-password -x...` then fails with "Missing required parameter"."""
    return secrets.token_hex(16)


def _saved_password(state: Path) -> str | None:
    saved = state / "server.json"
    return json.loads(saved.read_text())["password"] if saved.is_file() else None


def query(info: ServerInfo, statement: str, timeout_s: float = 10.0,
          parameters: dict[str, object] | None = None) -> list[list[object]]:
    """One Cypher statement (values as `parameters`) over the HTTP transaction endpoint; the rows, or ServerError."""
    body = json.dumps({"statements": [{"statement": statement, "parameters": parameters or {}}]}).encode()
    token = base64.b64encode(f"{info.user}:{info.password}".encode()).decode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{info.http_port}/db/neo4j/tx/commit", data=body, method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json",
                 "Authorization": f"Basic {token}"})
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        answer = json.load(resp)
    if answer.get("errors"):
        raise ServerError(f"{statement!r} failed: {answer['errors'][0].get('message')}")
    return [row["row"] for row in answer["results"][0]["data"]]


def _wait_for_gds(info: ServerInfo, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline, last = time.monotonic() + timeout_s, "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"Neo4j exited with {proc.returncode} while starting; logs in {info.logs}:\n"
                              + _tail(info.logs / "console.log") + _errors(info.logs / "neo4j.log"))
        try:
            query(info, "RETURN gds.version()")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last = str(exc)  # not listening yet
        except ServerError as exc:
            last = str(exc)
            if "Unknown function 'gds.version'" in last and _database_up(info):
                raise ServerError(f"Neo4j is up but GDS did not load; logs in {info.logs}:\n"
                                  + _tail(info.logs / "neo4j.log")) from exc
        time.sleep(0.5)
    raise ServerError(f"no answer to RETURN gds.version() within {timeout_s:.0f}s ({last}); logs in {info.logs}")


def _database_up(info: ServerInfo) -> bool:
    try:
        return query(info, "RETURN 1") == [[1]]
    except Exception:
        return False


def _errors(path: Path) -> str:
    """The ERROR and 'Caused by' lines of a Neo4j log: where a failed start says why."""
    if not path.is_file():
        return ""
    wanted = [ln[:400] for ln in path.read_text(errors="replace").splitlines()
              if " ERROR " in ln or ln.lstrip().startswith(("Caused by", "Suppressed"))]
    return "\n".join(wanted[-12:])


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.is_file() else ""


def status(state_dir: str | Path) -> ServerInfo | None:
    """The running server of `state_dir`, or None."""
    saved = Path(state_dir) / "server.json"
    if not saved.is_file():
        return None
    info = ServerInfo(**json.loads(saved.read_text()))
    return info if _alive(info.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (our own exited child) is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return True


def stop(state_dir: str | Path, timeout_s: float = 30.0) -> bool:
    """Stop the server of `state_dir` (SIGTERM: Neo4j shuts down cleanly; SIGKILL after `timeout_s`)."""
    saved = Path(state_dir) / "server.json"
    if not saved.is_file():
        return False
    pid = json.loads(saved.read_text())["pid"]
    if not _alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.2)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not our child: its own parent reaps it


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["assemble", "start", "status", "stop"])
    parser.add_argument("--dir", default=os.environ.get("LINKAGE_NEO4J_DIR", "/tmp/linkage-neo4j"),
                        help="state directory of this instance (default $LINKAGE_NEO4J_DIR or /tmp/linkage-neo4j)")
    parser.add_argument("--bolt-port", type=int, default=0, help="default: a free port")
    parser.add_argument("--http-port", type=int, default=0, help="default: a free port")
    parser.add_argument("--heap", default="768m", help="Java heap (at most 1g on shared machines)")
    parser.add_argument("--password", default=None, help="default: random, kept in <dir>/server.json")
    args = parser.parse_args(argv)
    try:
        if args.command == "assemble":
            print(assemble())
            return 0
        if args.command == "start":
            info = start(args.dir, bolt_port=args.bolt_port, http_port=args.http_port, heap=args.heap,
                         password=args.password)
            for key, value in info.env().items():
                print(f"export {key}={value}")
            print(f"# Browser: {info.browser_url} (user {info.user}); pid {info.pid}; logs {info.logs}")
            return 0
        if args.command == "status":
            info = status(args.dir)
            print(json.dumps(asdict(info)) if info else "not running")
            return 0 if info else 3
        print("stopped" if stop(args.dir) else "not running")
        return 0
    except ServerError as exc:
        print(f"neo4j-server: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
