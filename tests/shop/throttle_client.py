"""One web process of the concurrency test (tests/shop/test_throttle_concurrency.py): Django's
request handler in a process of its own, sending `--requests` logins at once (one thread and one
database connection each) once the `--go` file appears, and printing what each got as JSON."""

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

PAUSED = "logging in is paused"
CHECKED = "do not match"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--email", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--ready", required=True)
    parser.add_argument("--go", required=True)
    parser.add_argument("--remote", default="192.0.2.10")
    args = parser.parse_args()

    barrier = threading.Barrier(args.requests)
    outcomes: list[str] = [""] * args.requests

    def send(index: int) -> None:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        try:
            barrier.wait()
            response = client.post(
                "/login/",
                {"username": args.email, "password": f"wrong-{index}"},
                REMOTE_ADDR=args.remote,
            )
            body = response.content.decode()
            if response.status_code != 200:
                outcomes[index] = f"status {response.status_code}"
            elif PAUSED in body:
                outcomes[index] = "paused"
            elif CHECKED in body:
                outcomes[index] = "checked"
            else:
                outcomes[index] = "other"
        except Exception as error:  # reported to the test, which fails on it
            outcomes[index] = f"error {error!r}"
        finally:
            connections.close_all()

    Path(args.ready).touch()
    deadline = time.monotonic() + 60
    while not Path(args.go).exists():
        if time.monotonic() > deadline:
            sys.exit("no go signal")
        time.sleep(0.01)
    threads = [threading.Thread(target=send, args=(index,)) for index in range(args.requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main()
