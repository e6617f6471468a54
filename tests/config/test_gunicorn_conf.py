"""gunicorn's configuration (config/gunicorn_conf.py): the application imported once in the master
and shared by its forked workers, each with connections of its own; the production checks still
refusing an unsafe start."""

import gc
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

from config import gunicorn_conf
from shop import memo
from tests.config.test_web_imports import ROOT, _production_env

POSTGRES_PORT = 5432
REDIS_PORT = 6379


def test_the_application_is_imported_once_in_the_master():
    # given / when: the configuration as gunicorn reads it; then
    assert gunicorn_conf.preload_app is True
    assert gunicorn_conf.wsgi_app == "config.wsgi:application"


def test_pre_fork_freezes_the_masters_objects():
    # given: nothing frozen
    gc.unfreeze()
    try:
        # when
        gunicorn_conf.pre_fork(None, None)
        # then: the collector of a worker will not walk (and write to) what it inherited
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_publish_after_the_release_gets_a_fresh_producer_pool():
    # given: a process that published (its producer pool made, kept in kombu's registry)
    from config.celery import app

    with app.producer_or_acquire():
        pass
    closed = app.amqp.producer_pool
    # when: what is bound to the process is let go, as before a fork
    gunicorn_conf.release_process_resources()
    # then: the next publish acquires from a new pool, not the closed one (kombu's registry
    # handed the closed pool back: "Acquire on closed pool" for every later publish)
    with app.producer_or_acquire():
        pass
    assert app.amqp.producer_pool is not closed
    assert not app.amqp.producer_pool._closed


def test_post_fork_empties_the_per_process_memos():
    # given: a value the master read
    memo.SETTINGS.get("settings", lambda: "the master's")
    # when: a worker starts
    gunicorn_conf.post_fork(None, None)
    # then: the worker reads its own
    assert memo.SETTINGS.get("settings", lambda: "the worker's") == "the worker's"


def test_a_dead_worker_is_marked_so_in_prometheus_multiprocess_mode(tmp_path, monkeypatch):
    # given: the multiprocess folder with a worker's live gauge file
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")
    # when: the worker exits
    gunicorn_conf.child_exit(None, SimpleNamespace(pid=4242))
    # then: its live gauge is gone, its counter kept
    assert sorted(path.name for path in tmp_path.iterdir()) == ["counter_4242.db"]


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _tcp_to(ports: set[int]) -> dict[str, int]:
    """Established TCP connections to one of `ports`: socket inode -> remote port."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if fields[3] == "01" and remote_port in ports:
                found[fields[9]] = remote_port
    return found


def _get(sock_path: Path, path: str) -> str:
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(60)
        client.connect(str(sock_path))
        request = f"GET {path} HTTP/1.1\r\nHost: returns.shop.example\r\nConnection: close\r\n"
        client.sendall(f"{request}X-Forwarded-Proto: https\r\n\r\n".encode())
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    return answer.split(b" ", 2)[1].decode()


def _workers(master: subprocess.Popen, count: int) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    for _ in range(600):
        pids = [int(pid) for pid in children.read_text().split()]
        if len(pids) == count:
            return pids
        assert master.poll() is None, "gunicorn stopped"
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not fork {count} workers")


def _gunicorn(config: Path | str, sock_path: Path, env: dict, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "-c", str(config), "--workers", "2"]
    command += ["--bind", f"unix:{sock_path}", "--no-control-socket", "--timeout", "120"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


# The master made to hold what an application's import may open (an AppConfig.ready() reading a
# row, a warm-up): a database session, the Redis cache's connection, a memo filled.
MASTER_OPENS = """
from config.gunicorn_conf import *  # noqa: F403


def when_ready(server):
    from django.core.cache import cache
    from django.db import connection

    from shop import memo

    connection.ensure_connection()
    cache.set("gunicorn-conf-test", "the master's")
    memo.page_settings()
"""


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_each_forked_worker_opens_its_own_connections(tmp_path):
    # given: gunicorn with the configuration, its master holding a database session and a
    # Redis connection once the application is imported
    config = tmp_path / "master_opens.py"
    config.write_text(MASTER_OPENS)
    env = _production_env(tmp_path)
    env.update(CACHE_URL=settings.CELERY_BROKER_URL, CACHE_KEY_PREFIX="gunicorn-conf-test")
    sock_path = tmp_path / "web.sock"
    master = _gunicorn(config, sock_path, env, tmp_path / "gunicorn.log")
    try:
        workers = _workers(master, 2)
        # when: the workers serve a page that reads the database, several times each
        for _ in range(60):
            if sock_path.exists():
                break
            time.sleep(0.5)
        statuses = {_get(sock_path, "/login/") for _ in range(8)}
        # then: no process holds another's socket, the master none to PostgreSQL or Redis,
        # and the workers that served have sessions of their own
        connections = _tcp_to({POSTGRES_PORT, REDIS_PORT})
        held = {pid: _socket_inodes(pid) & connections.keys() for pid in [master.pid, *workers]}
        log = (tmp_path / "gunicorn.log").read_text()
    finally:
        master.terminate()
        master.wait(timeout=60)
    assert statuses == {"200"}, log[-3000:]
    assert held[master.pid] == set()
    assert held[workers[0]].isdisjoint(held[workers[1]])
    to_postgres = [pid for pid in workers if POSTGRES_PORT in {connections[i] for i in held[pid]}]
    assert to_postgres, f"no worker holds a PostgreSQL session: {held}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_unsafe_production_start_is_refused_before_any_worker(tmp_path):
    # given: production without the carriers' webhook secret (returns.E001)
    env = _production_env(tmp_path)
    env.pop("CARRIER_WEBHOOK_SECRET")
    # when: gunicorn starts with the configuration (the checks run in the master)
    log = tmp_path / "gunicorn.log"
    master = _gunicorn(ROOT / "config" / "gunicorn_conf.py", tmp_path / "web.sock", env, log)
    code = master.wait(timeout=300)
    # then: it stops, says why, and never forked a worker
    said = log.read_text()
    assert code != 0
    assert "Production refuses to start" in said
    assert "returns.E001" in said
    assert "Booting worker" not in said
