"""`smartdd airflow up|trigger|down`: the real Airflow, in the background, for one home.

`up` starts the scheduler (LocalExecutor), the DAG processor and the API server (UI and REST
API) as three background processes, each in its own session, with Airflow's home and SQLite
database in `<home>/.airflow` (owner-only), waits until Airflow reports them healthy and the
DAG is parsed, creates the pools and prints where to log in. `trigger` starts
`quarterly_due_diligence` for the home through the REST API and, with `--wait`, exits with the
run's outcome. `down` stops every process `up` started, their task processes included.

Nothing here imports Airflow: each command runs the `airflow` executable or talks HTTP, so the
configuration is the one written for the home, not the caller's environment.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from smartdd.config import DAGS_DIR, Settings

DAG_ID = "quarterly_due_diligence"
STATE_FILE = "smartdd-up.json"
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"
USER = "admin"
COMPONENTS = (("scheduler", ["scheduler", "--skip-serve-logs"]), ("dag-processor", ["dag-processor"]), ("api-server", ["api-server"]))
HEALTHY_TIMEOUT_S = 240
FINISHED = ("success", "failed")


def pools() -> dict[str, tuple[int, str]]:
    """The pools the DAG's tasks use: ingest batches (each uses a worker a core, so one at a time by
    default; SMARTDD_INGEST_SLOTS overrides) and dbt (one build at a time)."""
    cores = os.cpu_count() or 1
    per_task = int(os.environ.get("SMARTDD_PARSE_WORKERS") or cores)  # each ingest task parses with this many workers
    return {
        "smartdd_ingest": (int(os.environ.get("SMARTDD_INGEST_SLOTS") or max(1, cores // per_task)), "smartdd: batches of workbooks (CPU-heavy)"),
        "smartdd_dbt": (1, "smartdd: dbt builds (DuckDB uses every core; one build at a time)"),
    }


# ---------------------------------------------------------------- the commands


def add_parser(commands) -> None:
    """Register `smartdd airflow up|trigger|down` on the CLI's subcommands."""
    p = commands.add_parser("airflow", help="run the real Airflow scheduler for a home (up, trigger, down)")
    actions = p.add_subparsers(dest="action", required=True)
    up_p = actions.add_parser("up", help="start Airflow in the background and wait until it is healthy")
    up_p.add_argument("--home", type=Path)
    up_p.add_argument("--port", type=int, default=8080, help="API server / UI port (default 8080)")
    up_p.add_argument("--host", default="127.0.0.1", help="address the UI listens on (default: this machine only)")
    trigger_p = actions.add_parser("trigger", help=f"trigger {DAG_ID} for the home")
    trigger_p.add_argument("--home", type=Path)
    trigger_p.add_argument("--wait", action="store_true", help="wait for the run and exit with its outcome")
    trigger_p.add_argument("--timeout", type=float, default=8 * 3600, help="with --wait: give up after this many seconds")
    down_p = actions.add_parser("down", help="stop every process `up` started")
    down_p.add_argument("--home", type=Path)


def main(args: argparse.Namespace) -> int:
    settings = Settings.from_env(args.home)
    if args.action == "up":
        return up(settings, port=args.port, host=args.host)
    if args.action == "trigger":
        return trigger(settings, wait=args.wait, timeout=args.timeout)
    return down(settings)


def airflow_home(settings: Settings) -> Path:
    return settings.home / ".airflow"


def up(settings: Settings, port: int = 8080, host: str = "127.0.0.1", timeout: float = HEALTHY_TIMEOUT_S) -> int:
    from smartdd.ingest.pseudonymise import MissingKey, load_key

    try:
        load_key(settings.home)  # the workers hash client ids with it: refuse before starting anything
    except MissingKey as problem:
        print(f"smartdd: {problem} Airflow's workers inherit it from this command's environment.", file=sys.stderr)
        return 2
    home = airflow_home(settings)
    state = _state(home)
    if state and _alive_processes(state):
        print(f"smartdd: Airflow is already up for {settings.home} at {state['url']}; `smartdd airflow down --home {settings.home}` first.", file=sys.stderr)
        return 1
    if state:
        down(settings, quiet=True)  # a previous `up` whose components died: sweep what they left
    if not _port_free(host, port):
        print(f"smartdd: port {port} on {host} is in use; choose another with --port.", file=sys.stderr)
        return 1
    settings.ensure()
    home.mkdir(mode=0o700, exist_ok=True)
    home.chmod(0o700)  # Airflow's database, secrets and logs: the owner's only
    (home / "logs").mkdir(mode=0o700, exist_ok=True)
    env = airflow_env(settings, port, host)
    _write_env_file(home, env)
    started = time.monotonic()
    migrate = subprocess.run([_airflow(), "db", "migrate"], env=env, capture_output=True, text=True, umask=0o077, cwd=home, timeout=600)
    if migrate.returncode != 0:
        (home / "logs" / "db-migrate.log").write_text(migrate.stdout + migrate.stderr)
        print(f"smartdd: `airflow db migrate` failed; see {home / 'logs' / 'db-migrate.log'}", file=sys.stderr)
        return 1
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    state = {"home": str(settings.home), "url": url, "port": port, "host": host, "processes": []}
    try:
        for name, argv in COMPONENTS:
            log = open(home / "logs" / f"{name}.log", "ab")  # the child keeps its own descriptor
            process = subprocess.Popen(
                [_airflow(), *argv], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, umask=0o077, cwd=home
            )
            log.close()
            state["processes"].append({"name": name, "pid": process.pid, "started": _create_time(process.pid)})
            _write_state(home, state)  # written as each starts, so `down` finds whatever did
        _wait_healthy(home, state, started + timeout)
        client = Api(home)
        for name, (slots, description) in pools().items():
            client.put_pool(name, slots, description)
    except (Exception, KeyboardInterrupt) as problem:  # never leave half an Airflow running
        print(f"smartdd: Airflow did not come up: {problem or type(problem).__name__}; stopping what was started.", file=sys.stderr)
        down(settings, quiet=True)
        return 1
    password = home / PASSWORD_FILE
    print(f"Airflow is up for {settings.home} (healthy after {time.monotonic() - started:.0f} s): {url}")
    print(f"  log in as '{USER}'; the password is in {password}")
    print(f"  trigger a run: smartdd airflow trigger --home {settings.home} --wait   (workbooks go in {settings.landing})")
    print(f"  stop it:       smartdd airflow down --home {settings.home}   (logs: {home / 'logs'})")
    return 0


def trigger(settings: Settings, wait: bool = False, timeout: float = 8 * 3600, conf: dict | None = None) -> int:
    from smartdd import runlock

    home = airflow_home(settings)
    state = _state(home)
    if not state or not _alive_processes(state):
        print(f"smartdd: Airflow is not up for {settings.home}; start it with `smartdd airflow up --home {settings.home}`.", file=sys.stderr)
        return 1
    busy = live_holder(settings)
    if busy is not None and busy.owner == runlock.IN_PROCESS:
        print(f"smartdd: {settings.home} is in use by {busy.describe()}; trigger again when it has finished.", file=sys.stderr)
        return 1
    client = Api(home)
    if client.get(f"/api/v2/dags/{DAG_ID}").get("is_paused"):
        print(f"smartdd: {DAG_ID} is paused in Airflow; the run waits until it is unpaused ({state['url']}).", file=sys.stderr)
    run = client.post(f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": conf if conf is not None else {"home": str(settings.home)}})
    run_id = run["dag_run_id"]
    print(f"Triggered {run_id}: {state['url']}/dags/{DAG_ID}/runs/{urllib.parse.quote(run_id, safe='')}")
    if not wait:
        return 0
    final = wait_for_run(client, run_id, timeout)
    print(f"Run {run_id} ended: {final['state']}" + (f" after {final['duration']:.0f} s" if final.get("duration") else ""))
    if final["state"] != "success":
        for task_id, message in failed_tasks(client, run_id):
            print(f"  {task_id} failed: {message}", file=sys.stderr)
        return 1
    return 0


def wait_for_run(client: Api, run_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    run = {"state": "unknown"}
    while True:
        try:
            run = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.parse.quote(run_id, safe='')}")
            if run["state"] in FINISHED:
                return run
        except (urllib.error.URLError, TimeoutError, ConnectionError) as problem:  # a busy API server: ask again
            print(f"smartdd: the API server did not answer ({problem}); asking again", file=sys.stderr)
        if time.monotonic() > deadline:
            return {**run, "state": f"still {run['state']} after {timeout:.0f} s (gave up waiting)"}
        time.sleep(2.0)


def failed_tasks(client: Api, run_id: str) -> list[tuple[str, str]]:
    """(task id, the error's last line) for each failed task of the run."""
    quoted = urllib.parse.quote(run_id, safe="")
    out = []
    for ti in client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{quoted}/taskInstances")["task_instances"]:
        if ti["state"] != "failed":
            continue
        name = ti["task_id"] + (f"[{ti['map_index']}]" if ti["map_index"] >= 0 else "")
        path = f"/api/v2/dags/{DAG_ID}/dagRuns/{quoted}/taskInstances/{ti['task_id']}/logs/{ti['try_number']}?map_index={ti['map_index']}&full_content=true"
        try:
            out.append((name, _error_of(client.get(path))))
        except ApiError:
            out.append((name, "see its log in the UI"))
    return out


def _error_of(log: dict) -> str:
    message = "see its log in the UI"
    for entry in log.get("content") or []:
        if isinstance(entry, dict) and entry.get("error_detail"):
            detail = entry["error_detail"][-1]
            message = f"{detail.get('exc_type')}: {detail.get('exc_value')}"
    return message


def down(settings: Settings, quiet: bool = False, grace_s: float = 10.0) -> int:
    """Stop the scheduler and DAG processor with their workers and task processes (dbt, parsers:
    all in their sessions), then the API server (last, so tasks can still report); SIGKILL
    whatever has not exited after `grace_s`. 1 if a process could not be stopped."""
    home = airflow_home(settings)
    state = _state(home)
    if not state:
        if not quiet:
            print(f"Airflow is not up for {settings.home}: nothing to stop.")
        return 0
    recorded = state["processes"]  # a session outlives its leader: swept even if the leader died
    stopped = killed = 0
    for phase in (("scheduler", "dag-processor"), ("api-server",)):
        n, k = _stop([r for r in recorded if r["name"] in phase], grace_s)
        stopped, killed = stopped + n, killed + k
    left = [r["pid"] for r in recorded if _session_members(r)]
    deadline = time.monotonic() + 10
    while not _port_free(state["host"], state["port"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        print(f"smartdd: processes of sessions {left} would not stop; see `ps -s <pid>`.", file=sys.stderr)
        return 1
    (home / STATE_FILE).unlink(missing_ok=True)
    if not quiet:
        print(f"Airflow for {settings.home} stopped ({stopped} process(es); {killed} needed SIGKILL).")
    return 0


def _session_members(recorded: dict) -> list:
    """Every live process of a component's session (it and all it started), zombies excepted;
    started no earlier than the component, so a reused process id is never mistaken for it."""
    import psutil

    members = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == recorded["pid"] and p.create_time() >= (recorded.get("started") or 0) - 1 and p.status() != psutil.STATUS_ZOMBIE:
                members.append(p)
        except (OSError, psutil.Error):
            continue
    return members


def _stop(components: list[dict], grace_s: float) -> tuple[int, int]:
    """SIGTERM, then after a second a second signal (the scheduler then stops its running tasks
    instead of waiting for them; the API server's uvicorn exits without draining), then SIGKILL
    after `grace_s`. A run cut short this way is resumed or retried when Airflow is up again."""
    import psutil

    procs = {}
    for recorded in components:
        procs.update({p.pid: p for p in _session_members(recorded)})
    for p in procs.values():
        _signal(p, signal.SIGTERM)
    _, alive = psutil.wait_procs(list(procs.values()), timeout=1.0)
    for p in alive:
        _signal(p, signal.SIGINT if p.pid in {c["pid"] for c in components if c["name"] == "api-server"} else signal.SIGTERM)
    _, alive = psutil.wait_procs(alive, timeout=grace_s)
    for recorded in components:  # and whatever was started while stopping
        alive += [p for p in _session_members(recorded) if p.pid not in {a.pid for a in alive}]
    for p in alive:
        _signal(p, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)
    return len(procs), len(alive)


# ---------------------------------------------------------------- configuration


def airflow_env(settings: Settings, port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """The environment of every Airflow process for this home: small-machine settings.

    It inherits the caller's environment: SMARTDD_HMAC_KEY or SMARTDD_HMAC_KEY_FILE reach the
    workers that way (never written to a file here)."""
    home = airflow_home(settings)
    cores = os.cpu_count() or 1
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(max(2, min(cores, 4))),  # LocalExecutor worker processes (~150 MB each)
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",  # the quarterly DAG only runs when triggered
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",  # one machine; PostgreSQL beyond (docs/scaling.md)
        "AIRFLOW__API__HOST": host,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__BASE_URL": f"http://{local}:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{local}:{port}/execution/",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",  # re-parse the DAG files every 2 minutes, not 30 s
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "GX_ANALYTICS_ENABLED": "False",
        "SMARTDD_HOME": str(settings.home),
    }


def _write_env_file(home: Path, env: dict[str, str]) -> None:
    """`. <home>/.airflow/env.sh` gives a shell the same Airflow (for `airflow tasks ...` by hand)."""
    lines = [f"export {k}='{v}'" for k, v in sorted(env.items()) if k.startswith("AIRFLOW") or k in ("SMARTDD_HOME", "GX_ANALYTICS_ENABLED")]
    (home / "env.sh").write_text("# written by `smartdd airflow up`; the key is not here: set SMARTDD_HMAC_KEY_FILE yourself\n" + "\n".join(lines) + "\n")
    (home / "env.sh").chmod(0o600)


def _airflow() -> str:
    return str(Path(sys.executable).with_name("airflow"))


# ---------------------------------------------------------------- state and processes


def _state(home: Path) -> dict | None:
    try:
        return json.loads((home / STATE_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write_state(home: Path, state: dict) -> None:
    tmp = home / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, home / STATE_FILE)


def _create_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _alive_processes(state: dict) -> list:
    """The recorded processes that still run (the same process: its start time matches)."""
    import psutil

    alive = []
    for recorded in state.get("processes", []):
        try:
            p = psutil.Process(recorded["pid"])
            if recorded.get("started") is None or abs(p.create_time() - recorded["started"]) < 1.0:
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
        except psutil.Error:
            continue
    return alive


def _signal(p, sig: int) -> None:
    import psutil

    try:
        p.send_signal(sig)
    except psutil.Error:
        pass


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _wait_healthy(home: Path, state: dict, deadline: float) -> None:
    """Scheduler and DAG processor heartbeating, and the DAG parsed without import errors."""
    url = state["url"]
    while True:
        dead = [p["name"] for p in state["processes"] if p["pid"] not in {q.pid for q in _alive_processes(state)}]
        if dead:
            raise RuntimeError(f"{', '.join(dead)} exited; see {home / 'logs'}")
        try:
            health = _request(f"{url}/api/v2/monitor/health", timeout=5)
            if all((health.get(c) or {}).get("status") == "healthy" for c in ("metadatabase", "scheduler", "dag_processor")):
                client = Api(home)
                errors = client.get("/api/v2/importErrors").get("import_errors", [])
                if errors:
                    raise RuntimeError(f"the DAG files do not import: {errors[0].get('stack_trace', '')[-600:]}")
                client.get(f"/api/v2/dags/{DAG_ID}")
                return
        except (ApiError, urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"not healthy in time; see {home / 'logs'}")
        time.sleep(0.5)


# ---------------------------------------------------------------- the REST API


class ApiError(RuntimeError):
    def __init__(self, status: int, detail: str):
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status


def _request(url: str, method: str = "GET", body: dict | None = None, token: str | None = None, timeout: float = 30) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as error:
        raise ApiError(error.code, error.read().decode(errors="replace")[:500]) from None
    return json.loads(text) if text else {}


class Api:
    """The home's Airflow REST API (v2), logged in as the admin user of the simple auth manager."""

    def __init__(self, home: Path):
        state = _state(home)
        if not state:
            raise ApiError(0, f"Airflow is not up for {home}")
        self.url = state["url"]
        password = json.loads((home / PASSWORD_FILE).read_text())[USER]
        self.token = _request(f"{self.url}/auth/token", "POST", {"username": USER, "password": password})["access_token"]

    def get(self, path: str) -> dict:
        return _request(self.url + path, token=self.token)

    def post(self, path: str, body: dict) -> dict:
        return _request(self.url + path, "POST", body, token=self.token)

    def patch(self, path: str, body: dict) -> dict:
        return _request(self.url + path, "PATCH", body, token=self.token)

    def put_pool(self, name: str, slots: int, description: str) -> None:
        try:
            body = {"pool": name, "slots": slots, "description": description, "include_deferred": False}
            self.patch(f"/api/v2/pools/{name}?update_mask=slots&update_mask=description", body)
        except ApiError as error:
            if error.status != 404:
                raise
            self.post("/api/v2/pools", {"name": name, "slots": slots, "description": description, "include_deferred": False})


def live_holder(settings: Settings):
    """The live holder of the home's run lock (`smartdd.runlock`), asking the holder's own
    scheduler when the holder is a scheduler run."""
    from smartdd import runlock

    return runlock.live_holder(settings, ask_scheduler=run_state_of)


def run_state_of(holder) -> str | None:
    """The state of a run-lock holder's run, as the scheduler of its Airflow home reports it."""
    return run_state_via_api(Path(holder.airflow_home), holder.dag_id, holder.run_id)


def run_state_via_api(home: Path, dag_id: str, run_id: str) -> str | None:
    """A run's state as the scheduler of `home` (an Airflow home) reports it; None when that
    scheduler is not up or does not know the run. If it is up but does not answer, "running"
    (a lock is never taken over on a guess)."""
    state = _state(home)
    if not state or not _alive_processes(state):
        return None
    try:
        return Api(home).get(f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}")["state"]
    except ApiError as error:
        return None if error.status == 404 else "running"
    except (OSError, ValueError, KeyError):
        return "running"
