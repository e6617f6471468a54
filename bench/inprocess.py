"""Django set up in this process on a throwaway database, for the in-process benchmarks
(bench/export.py): var/bench.sqlite3, or test_bench_<name> on PostgreSQL."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def configure():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
        (ROOT / "var" / "bench.sqlite3").unlink(missing_ok=True)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "false"
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    settings.DEBUG = False
    setup_test_environment()  # testserver host, locmem email
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        from django.db import connection

        connection.creation.create_test_db(verbosity=0, autoclobber=True)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def setup_django() -> None:
    """In a child of bench.lists / bench.api / bench.portal (run_child): Django set up on one
    of the suite's databases with the production settings the child was started with."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def bench_plan() -> dict:
    """After setup_django: the suite's plan (bench.prepare makes its staff, customer and API
    key, and lists the pages), as prepare prints it."""
    import io
    import json

    from bench import prepare

    out = io.StringIO()
    stdout, sys.stdout = sys.stdout, out
    try:
        prepare.main()
    finally:
        sys.stdout = stdout
    return json.loads(out.getvalue())


def run_child(module: str, tag: str, database: str, size: str, arguments: list[str]) -> dict:
    """`python -m <module> --child <arguments>` on `database` with the suite's production
    environment; its figures are the JSON of its stdout line that starts with `tag`."""
    import json
    import subprocess

    from bench.__main__ import PG_SERVER, Server, production_env

    env = production_env(Server(size, database, 0))
    env["DATABASE_URL"] = f"{PG_SERVER}/{database}"
    command = [sys.executable, "-m", module, "--child", *arguments]
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    line = next((x for x in out.stdout.splitlines() if x.startswith(tag + " ")), None)
    if line is None:
        raise SystemExit(f"{database}: {out.stdout[-3000:]}{out.stderr[-3000:]}")
    return json.loads(line[len(tag) + 1 :])


def in_process_parser(
    doc: str, *, requests: int, saved: str = "the pages' HTML", sizes: bool = True
):
    """The options every in-process benchmark (bench.lists, bench.api, bench.portal,
    bench.return_page) takes: the databases' prefix, (the sizes,) requests a page, a profile of
    the pages whose name has a word, --save / --compare of what they answer, and --child (the
    process run_child starts)."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--databases", default="returns_bench")
    if sizes:
        parser.add_argument("--sizes", default="small,big")
    parser.add_argument("--requests", type=int, default=requests, help="Requests a page (median).")
    parser.add_argument("--profile", default="", help="Profile the pages whose name has this.")
    parser.add_argument("--save", default="", help=f"Write {saved} under this folder.")
    parser.add_argument("--compare", nargs=2, default=None, help="Two --save folders.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser


def profiled(call, count: int, *, cumulative: int = 70, dump: str = "") -> str:
    """cProfile of `call()` run `count` times: the `cumulative` costliest by cumulative time,
    then the 40 by own time, as text (and the raw stats in `dump` for pstats, if given)."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        call()
    profiler.disable()
    if dump:
        profiler.dump_stats(dump)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(cumulative)
    stats.sort_stats("tottime").print_stats(40)
    return text.getvalue()
