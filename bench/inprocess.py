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
