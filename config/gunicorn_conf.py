"""gunicorn's configuration, production's and the bench's: `gunicorn -c config/gunicorn_conf.py`
(with `--workers N`, `--bind`, as the machine needs).

The application is imported once, in the master (`preload_app`), and each worker is a fork of it:
the pages of what the master imported (Django with its admin, the apps, DRF, celery's client)
are shared by every worker instead of each worker importing its own copy
(issue 17's memory goal: bench/README.md, the PSS paragraph). Two things make that hold:

- nothing bound to a process crosses the fork (`pre_fork`): a database connection, the cache's
  and the broker's clients, the per-process memos; each worker opens its own at its first
  request (tests/config/test_gunicorn_conf.py);
- the objects the master holds are frozen before the fork (`gc.freeze`): a collection in a
  worker would otherwise write to the header of every object it inherited, copying each page
  it touches, and the pages shared would become private again one collection at a time.

The production checks still refuse an unsafe start: config/wsgi.py runs them while the master
imports it, and an error there stops gunicorn before any worker is forked.

Preloading means a code change needs a restart of the master (`kill -HUP` reloads the workers
from the master's already imported code): deploy by restarting the service.
"""

import gc
import os

wsgi_app = "config.wsgi:application"
preload_app = True


def pre_fork(server, worker) -> None:
    """In the master, just before each fork: what is bound to this process let go, then the
    objects frozen."""
    release_process_resources()
    # Garbage collected first (frozen, it would stay for good); what the master made since the
    # last fork is frozen too (a worker replaced later).
    gc.collect()
    gc.freeze()


def post_fork(server, worker) -> None:
    """In the new worker: shop/memo.py's memos emptied, so that it starts as a worker that
    imported everything itself would, reading the brands and the settings at its first page
    rather than serving what the master may have read. shop/compiled.py's queries, kept on the
    connection object, are SQL for the database's kind, not for a session: they stay."""
    from shop import memo

    memo.clear_all()


def release_process_resources() -> None:
    """Close what one process must not share with another: two processes on one socket mix
    their requests and answers. Each is opened again, by the worker, where it is next used."""
    from django.core.cache import caches
    from django.db import connections
    from kombu import pools as kombu_pools

    from config.celery import app

    # The database: Django opens a connection again at the next query.
    connections.close_all()
    # The cache: Django's Redis backend keeps a redis-py pool per server (its close() is a
    # no-op); redis-py would find a pool of another process only at its next use.
    for cache in caches.all(initialized_only=True):
        cache.close()
        for pool in getattr(cache.__dict__.get("_cache"), "_pools", {}).values():
            pool.disconnect()
    # celery's broker connections (made by a publish without a connection of its own): its
    # after-fork reset is registered with billiard, which runs it in billiard's children only.
    # The outbox's publishing connection forgets itself in a child (notifications/tasks.py).
    # The producer pool lives in kombu's registry (kombu.pools.producers, keyed by the
    # connection): closing it alone left the registry handing the closed pool back, and the
    # next publish failed with "Acquire on closed pool". kombu's own after-fork reset closes
    # every pool and empties the registry, so the next publish makes a fresh one.
    amqp = app.__dict__.get("amqp")  # made at the first publish
    if amqp is not None:
        amqp._producer_pool = None
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    kombu_pools.reset()


def child_exit(server, worker) -> None:
    """In the master, a worker gone: with prometheus_client's multiprocess mode (README,
    Operations), its live gauges are dropped; its counters stay, added up with the others."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
