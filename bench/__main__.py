"""Benchmarks: the pages staff and customers open most, at a small and a large number of returns.

    make bench                                  # 1,000 then 100,000 returns on SQLite (var/)
    .venv/bin/python -m bench --large 1000000   # a million
    DATABASE_URL=postgres://... .venv/bin/python -m bench

The database is a throwaway one (var/bench.sqlite3, or test_bench_<name> on PostgreSQL). Each
page is timed at both sizes in the same run and the figures are compared as ratios large/small:
a page that stays flat as returns pile up has a ratio near 1. Timings are medians of several
requests; the goal is a ratio under GOAL_RATIO for every page.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATIO = 3.0


def _configure(args):
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


def _time(client, url, repeat):
    client.get(url)  # warm caches and connections
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, secure=True)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def _pages(staff_client, customer_client, data):
    from returns.models import Return

    newest = Return.objects.order_by("-created_at", "-id").first()
    return {
        "back-office home": (staff_client, "/admin/"),
        "returns overview": (staff_client, "/admin/returns/return/"),
        "overview, requested": (staff_client, "/admin/returns/return/?status__exact=requested"),
        "overview, search RMA": (staff_client, f"/admin/returns/return/?q={newest.rma_number}"),
        "orders list": (staff_client, "/admin/shop/order/"),
        "a return's page": (staff_client, f"/admin/returns/return/{newest.pk}/change/"),
        "My orders (portal)": (customer_client, "/orders/"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    _configure(args)

    from django.test import Client

    from bench.data import grow_to, make_people

    staff, customer = make_people()
    staff_client, customer_client = Client(), Client()
    staff_client.force_login(staff)
    customer_client.force_login(customer.user)

    results = {}
    for size in (args.small, args.large):
        started = time.perf_counter()
        grow_to(size, customer)
        print(f"{size:>9,} returns ready in {time.perf_counter() - started:.1f} s", flush=True)
        for name, (client, url) in _pages(staff_client, customer_client, None).items():
            results.setdefault(name, []).append(_time(client, url, args.repeat))

    print(f"\n{'page':<24}{args.small:>12,}{args.large:>12,}   ratio")
    worst = 0.0
    for name, (small, large) in results.items():
        ratio = large / small
        worst = max(worst, ratio)
        print(f"{name:<24}{small:>10.1f}ms{large:>10.1f}ms   {ratio:5.2f}")
    verdict = "met" if worst <= GOAL_RATIO else "NOT met"
    print(f"\ngoal: every ratio <= {GOAL_RATIO} -> {verdict} (worst {worst:.2f})")
    return 0 if worst <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
