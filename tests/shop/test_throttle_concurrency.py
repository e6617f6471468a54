"""Twenty wrong passwords at the same moment from four web processes (PostgreSQL): exactly the
limit's five are checked, whatever each process remembers; and two signups of one new address
at once make one account."""

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import global_settings
from django.contrib.auth.hashers import make_password
from django.db import connection

from config import settings as project_settings
from notifications.models import Notification
from shop.models import User
from shop.throttle import LOGIN_PER_ACCOUNT, LOGIN_PER_ACCOUNT_AT_ADDRESS, LOGIN_PER_ADDRESS
from tests.fixtures.concurrency import race
from tests.fixtures.web import english_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENT = Path(__file__).with_name("throttle_client.py")
PROCESSES = 4
REQUESTS_EACH = 5


def _database_url() -> str:
    """The test database, for processes of their own."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def test_twenty_wrong_passwords_from_four_processes_check_exactly_five(tmp_path, settings):
    # given: an account whose password the project's hasher checks, and four web processes
    settings.PASSWORD_HASHERS = getattr(
        project_settings, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS
    )
    User.objects.create(email="camille@example.com", password=make_password("secret"))
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "true",
    }
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(CLIENT),
                "--email=camille@example.com",
                f"--requests={REQUESTS_EACH}",
                f"--ready={tmp_path / f'ready-{n}'}",
                f"--go={go}",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    try:
        deadline = time.monotonic() + 90
        while not all((tmp_path / f"ready-{n}").exists() for n in range(PROCESSES)):
            assert time.monotonic() < deadline, "the web processes did not start"
            assert all(process.poll() is None for process in processes)
            time.sleep(0.05)
        # when: all twenty at once
        go.touch()
        results = [process.communicate(timeout=180) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    # then: five passwords checked, fifteen refused without checking
    assert [process.returncode for process in processes] == [0] * PROCESSES, results
    outcomes = Counter(outcome for out, _err in results for outcome in json.loads(out))
    print(f"\n{PROCESSES} processes x {REQUESTS_EACH} wrong passwords: {dict(outcomes)}")
    assert outcomes == {"checked": 5, "paused": 15}
    # every counter holds the attempts it let through
    assert LOGIN_PER_ACCOUNT_AT_ADDRESS.count("camille@example.com", "192.0.2.10") == 5
    assert LOGIN_PER_ACCOUNT.count("camille@example.com") == 5
    assert LOGIN_PER_ADDRESS.count("192.0.2.10") == 5


def test_two_signups_of_one_new_address_at_once_make_one_account(db):
    # given
    data = {
        "email": "sam@example.com",
        "password1": "a-long-pass-phrase",
        "password2": "a-long-pass-phrase",
    }
    browsers = [english_client() for _ in range(2)]
    # when
    responses = race(*[lambda b=b: b.post("/account/signup/", data) for b in browsers])
    # then: the same answer twice, one account; a confirmation, and a notice or a second one,
    # each an outbox row (notifications/: the worker sends them)
    assert [(r.status_code, r["Location"]) for r in responses] == [(302, "/login/")] * 2
    assert User.objects.filter(email="sam@example.com").count() == 1
    assert Notification.objects.filter(recipient="sam@example.com").count() == 2
