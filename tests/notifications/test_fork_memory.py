"""A forking process (the worker's main one, before each pool child) freezes its objects first,
so that the child's garbage collections do not copy every page the two shared
(notifications.tasks.freeze_before_fork)."""

import gc
import os

import notifications.tasks  # noqa: F401  (registers the hook)


def test_a_fork_freezes_the_parents_objects_first():
    # given: nothing frozen
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        # when
        pid = os.fork()
        if pid == 0:  # the child: nothing to do here
            os._exit(0)
        os.waitpid(pid, 0)
        # then: the parent's objects were frozen before the fork (the child inherited that)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
