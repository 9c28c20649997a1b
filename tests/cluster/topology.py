"""The multi-machine topology on one machine, from Debian's packages and the project's own files.

A PostgreSQL primary and a streaming replica (initdb and pg_basebackup as the postgres user, in a
temporary directory, on free loopback ports), Redis (its own server on a free port), gunicorn web
nodes behind HAProxy (deploy/haproxy.cfg), RQ workers and schedulers, each a process group that a
test can kill. Used by `make test-cluster` and `make bench-large`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
PYTHON = Path(sys.executable)
PG_BIN = Path(
    os.environ.get("PG_BIN")
    or next(
        (str(path) for path in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)),
        "/usr/lib/postgresql/15/bin",
    )
)
DATABASE = "coursedesk"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def node_healthy(port: int) -> bool:
    import http.client

    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/healthz", headers={"Host": "localhost"})
        return connection.getresponse().status == 200
    except OSError:
        return False


def as_postgres(*command: str, **kwargs) -> subprocess.CompletedProcess:
    """Runs a PostgreSQL tool as the postgres user (initdb refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    result = subprocess.run([*prefix, *command], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class Process:
    """One service: a process group started in its own session, its output in a log file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None

    def start(self) -> Process:
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.command,
            cwd=REPOSITORY,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        handle.close()
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, signum: int = signal.SIGKILL) -> None:
        """Kills the whole group: a gunicorn master and its workers, an RQ worker and its job."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.alive:
            self.kill(signal.SIGTERM)
        if self.alive:
            self.kill(signal.SIGKILL)
        # Children that outlived their parent (an RQ job) go with the group.
        with contextlib.suppress(ProcessLookupError, TypeError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Postgres:
    """One PostgreSQL cluster in a directory of its own, owned by the postgres user."""

    directory: Path
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _configure(self, extra: dict[str, str]) -> None:
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.directory}'",
            **extra,
        }
        with (self.directory / "postgresql.conf").open("a") as conf:
            conf.write("\n# CourseDesk cluster test\n")
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    @classmethod
    def primary(cls, root: Path, *, durable: bool = False) -> Postgres:
        directory = root / "primary"
        directory.mkdir()
        shutil.chown(directory, "postgres", "postgres")
        directory.chmod(0o700)
        server = cls(directory, free_port(), root / "logs" / "primary.log")
        as_postgres(
            str(PG_BIN / "initdb"), "-D", str(directory), "-A", "trust", "-U", "postgres", "--no-sync"
        )
        server._configure(
            {
                "wal_level": "replica",
                "max_wal_senders": "5",
                "wal_keep_size": "'256MB'",
                "hot_standby": "on",
                "shared_preload_libraries": "'pg_stat_statements'",
                "pg_stat_statements.track": "all",
                "max_connections": "200",
                # Throwaway clusters: skip the disk flushes that make them slow, unless measuring.
                **(
                    {}
                    if durable
                    else {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
                ),
            }
        )
        with (directory / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        server.start()
        server.execute("postgres", f"CREATE DATABASE {DATABASE}")
        server.execute(DATABASE, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return server

    @classmethod
    def replica_of(cls, primary: Postgres, root: Path) -> Postgres:
        directory = root / "replica"
        directory.mkdir()
        shutil.chown(directory, "postgres", "postgres")
        directory.chmod(0o700)
        as_postgres(
            str(PG_BIN / "pg_basebackup"),
            "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(directory), "-R", "-X", "stream", "--no-sync", "--checkpoint", "fast",
        )  # fmt: skip
        server = cls(directory, free_port(), root / "logs" / "replica.log")
        server._configure({"hot_standby_feedback": "on"})
        server.start()
        wait_for(lambda: server.in_recovery(), timeout=30, what="the replica to stream")
        return server

    def start(self) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.directory), "-l", str(self.log), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(RuntimeError):
            as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.directory), "-m", mode, "-w", "stop")

    def connect(self, database: str = DATABASE):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True
        )

    def execute(self, database: str, sql: str, params=None) -> list[tuple]:
        with self.connect(database) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def query(self, sql: str, params=None) -> list[tuple]:
        return self.execute(DATABASE, sql, params)

    def in_recovery(self) -> bool:
        with contextlib.suppress(Exception):
            return bool(
                self.query("SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() IS NOT NULL")[0][0]
            )
        return False

    def wait_until_replayed(self, primary: Postgres, timeout: float = 30) -> None:
        target = primary.query("SELECT pg_current_wal_insert_lsn()::text")[0][0]
        wait_for(
            lambda: self.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])[0][0],
            timeout=timeout,
            what="the replica to replay the primary's last write",
        )


def start_redis(root: Path) -> tuple[Process | None, str]:
    """Its own Redis server on a free port when redis-server is installed; else the machine's."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None, os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/14")
    port = free_port()
    process = Process(
        "redis",
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(root)],
        dict(os.environ),
        root / "logs" / "redis.log",
    ).start()  # fmt: skip
    wait_for(lambda: port_open(port), timeout=10, what="redis")
    return process, f"redis://127.0.0.1:{port}"


@dataclass
class Topology:
    root: Path
    primary: Postgres | None = None
    replica: Postgres | None = None
    redis: Process | None = None
    redis_url: str = ""
    processes: dict[str, Process] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    smtp_port: int = 0
    metrics_token: str = "cluster-metrics-token"

    @classmethod
    def create(cls) -> Topology:
        root = Path(tempfile.mkdtemp(prefix="coursedesk-cluster-"))
        root.chmod(0o755)  # the postgres user reaches its directories through it
        (root / "logs").mkdir()
        (root / "logs").chmod(0o1777)  # the database servers write their logs there too
        return cls(root=root)

    @property
    def balancer_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['balancer']}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_", "PYTEST", "TEST_DATABASE"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            PYTHONUNBUFFERED="1",
            SECRET_KEY="cluster-test-secret-key-" + "x" * 40,
            DEBUG="false",
            VAR_DIR=str(self.root / "var"),
            STATIC_ROOT=str(self.root / "static"),
            MEDIA_ROOT=str(self.root / "media"),  # one directory shared by every web node
            DATABASE_URL=self.primary.url,
            TASKS_BACKEND="rq",
            REDIS_URL=f"{self.redis_url}/0",
            CACHE_URL=f"{self.redis_url}/1",
            EMAIL_URL=f"smtp://127.0.0.1:{self.smtp_port}?timeout=60" if self.smtp_port else "locmem:",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            BEHIND_PROXY="true",
            METRICS_TOKEN=self.metrics_token,
            LOG_FORMAT="json",
            EMAIL_LOST_AFTER="8",
        )
        if "balancer" in self.ports:
            env["SITE_URL"] = self.balancer_url
        if self.replica is not None:
            env["DATABASE_REPLICA_URL"] = self.replica.url
            env["DATABASE_REPLICA_MAX_LAG"] = "60"
        env.update(extra)
        return env

    def manage(self, *arguments: str, input: str | None = None, **env: str) -> str:
        result = subprocess.run(
            [str(PYTHON), "manage.py", *arguments],
            cwd=REPOSITORY,
            env=self.env(**env),
            input=input,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start_databases(self, *, durable: bool = False, replica: bool = True) -> None:
        self.primary = Postgres.primary(self.root, durable=durable)
        if replica:
            self.replica = Postgres.replica_of(self.primary, self.root)

    def prepare_application(self) -> None:
        self.redis, self.redis_url = start_redis(self.root)
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")

    def _spawn(self, name: str, command: list[str], **env: str) -> Process:
        process = Process(name, command, self.env(**env), self.root / "logs" / f"{name}.log").start()
        self.processes[name] = process
        return process

    def start_web(self, name: str) -> Process:
        port = self.ports.setdefault(name, free_port())
        process = self._spawn(
            name,
            [str(PYTHON), "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
             "config.wsgi:application"],
            DATABASE_POOL="4",
            WEB_WORKERS="1",
            WEB_THREADS="4",
            PROMETHEUS_MULTIPROC_DIR=str(self._fresh_directory(f"metrics-{name}")),
        )  # fmt: skip
        wait_for(lambda: node_healthy(port) or not process.alive, timeout=60, what=f"{name} to answer")
        if not process.alive:
            raise RuntimeError(f"{name} did not start:\n{process.output()}")
        return process

    def _fresh_directory(self, name: str) -> Path:
        path = self.root / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
        return path

    def start_balancer(self, web_names: list[str]) -> Process:
        self.ports.setdefault("balancer", free_port())
        env = {
            "BALANCER_BIND": f"127.0.0.1:{self.ports['balancer']}",
            "BALANCER_STATS_SOCKET": str(self.root / "haproxy.sock"),
            "WEB1": f"127.0.0.1:{self.ports[web_names[0]]}",
            "WEB2": f"127.0.0.1:{self.ports[web_names[1]]}",
        }
        process = self._spawn("balancer", ["haproxy", "-db", "-f", "deploy/haproxy.cfg"], **env)
        wait_for(lambda: port_open(self.ports["balancer"]), timeout=20, what="haproxy")
        return process

    def start_worker(self, name: str) -> Process:
        return self._spawn(
            name,
            [str(PYTHON), "manage.py", "rqworker", "default", "--job-class", "django_tasks_rq.backend.Job",
             "--with-scheduler", "--name", f"{name}-{free_port()}"],
        )  # fmt: skip

    def start_scheduler(self, name: str, interval: float) -> Process:
        return self._spawn(name, [str(PYTHON), "manage.py", "run_scheduler", "--interval", str(interval)])

    def start_pgbouncer(self, *, pool_size: int = 1) -> int:
        """PgBouncer in transaction mode in front of the primary; returns its port."""
        directory = self.root / "pgbouncer"
        directory.mkdir()
        port = free_port()
        (directory / "userlist.txt").write_text('"postgres" ""\n')
        (directory / "pgbouncer.ini").write_text(
            f"[databases]\n{DATABASE} = host=127.0.0.1 port={self.primary.port} dbname={DATABASE}\n"
            "[pgbouncer]\nlisten_addr = 127.0.0.1\n"
            f"listen_port = {port}\nunix_socket_dir =\nauth_type = trust\n"
            f"auth_file = {directory / 'userlist.txt'}\npool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = 50\n"
        )
        shutil.chown(directory, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        command = [*prefix, binary, str(directory / "pgbouncer.ini")]
        process = Process("pgbouncer", command, dict(os.environ), self.root / "logs" / "pgbouncer.log")
        self.processes["pgbouncer"] = process.start()
        wait_for(lambda: port_open(port), timeout=10, what="pgbouncer")
        return port

    def balancer_servers(self) -> dict[str, str]:
        """HAProxy's view of each web node: 'UP', 'DOWN', ..."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(self.root / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "web" and row.get("svname") not in ("FRONTEND", "BACKEND"):
                states[row["svname"]] = row["status"]
        return states

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        if self.redis is not None:
            self.redis.stop()
        for server in (self.replica, self.primary):
            if server is not None:
                server.stop("immediate")

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
