"""One of the processes of tests/concurrency/test_processes.py: random service calls on shared
orders for a bounded time, then its counts as JSON on stdout.

    python -m tests.concurrency.worker '{"seed": 3, "seconds": 20, "targets": [...]}'

It runs in its own OS process with its own database connection, on the database DATABASE_URL
names (the test's: the test passes it). Each call is an operation of operations.py on a random
order and one of its returns (mostly one in a status the operation acts from), prepared and run
at once, as a person would on a page they just loaded. A refusal (the services' own) is counted
by its kind; any other exception is a failure, its traceback kept.
"""

import json
import os
import random
import sys
import time
import traceback
from collections import Counter

# Closing a return ends its walk: closed less often, created more often, so that most calls
# find a live return to act on.
WEIGHTS = {
    "return_request": 3.0,
    "return_create": 3.0,
    "return_cancel": 0.3,
    "return_cancel_by_customer": 0.3,
    "return_reject": 0.3,
    "return_expire": 0.3,
}


def main(config: dict) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import close_old_connections, connection
    from django.utils import translation

    from returns.models import Return
    from tests.concurrency.operations import OPERATIONS, REFUSALS, Target, refusal_code

    translation.activate("en")
    with connection.cursor() as cursor:
        # As the test's connections: a crash of the test database loses nothing needed.
        cursor.execute("SET synchronous_commit TO off")
    rng = random.Random(config["seed"])
    operations = list(OPERATIONS.values())
    weights = [WEIGHTS.get(operation.name, 1.0) for operation in operations]
    tried: Counter[str] = Counter()
    done: Counter[str] = Counter()
    nothing: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    tracebacks: list[str] = []
    deadline = time.monotonic() + config["seconds"]
    while time.monotonic() < deadline:
        (operation,) = rng.choices(operations, weights)
        spec = rng.choice(config["targets"])
        rets = list(Return.objects.filter(order_id=spec["order_id"]).values_list("pk", "status"))
        fitting = [pk for pk, status in rets if status in operation.statuses]
        if fitting and rng.random() < 0.9:
            ret_id = rng.choice(fitting)
        else:
            ret_id = rng.choice(rets)[0] if rets else None
        tried[operation.name] += 1
        if operation.needs_return and ret_id is None:
            nothing[operation.name] += 1
            continue
        target = Target(
            order_id=spec["order_id"],
            ret_id=ret_id,
            staff_id=spec["staff_id"],
            customer_user_id=spec["customer_user_id"],
            exchange_variant_ids=tuple(spec["exchange_variant_ids"]),
        )
        try:
            call = operation.prepare(target, rng)
            if call is None:
                nothing[operation.name] += 1
                continue
            call()
            done[operation.name] += 1
        except REFUSALS as exc:
            refused[operation.name] += 1
            refused[f"code {refusal_code(exc)}"] += 1
        except Exception:  # a failure: counted, its traceback reported
            failed[operation.name] += 1
            tracebacks.append(f"{operation.name}:\n{traceback.format_exc()}")
            close_old_connections()
    return {
        "tried": tried,
        "done": done,
        "nothing": nothing,
        "refused": refused,
        "failed": failed,
        "tracebacks": tracebacks[:5],
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
