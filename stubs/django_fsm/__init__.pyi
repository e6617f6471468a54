# The part of django-fsm-2 the project uses, typed: its own annotations make FSMField and
# ConcurrentTransitionMixin Any, and with them every model that uses them (Return).
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models

_F = TypeVar("_F", bound=Callable[..., Any])

class TransitionNotAllowed(Exception): ...
class ConcurrentTransition(Exception): ...

class ConcurrentTransitionMixin:
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...

class FSMField(models.CharField[str, str]):
    def __init__(self, *args: Any, protected: bool = ..., **kwargs: Any) -> None: ...

def transition(
    field: Any,
    source: Any = ...,
    target: Any = ...,
    on_error: Any = ...,
    conditions: Any = ...,
    permission: Any = ...,
    custom: Any = ...,
) -> Callable[[_F], _F]: ...
def can_proceed(bound_method: Any, check_conditions: bool = ...) -> bool: ...
def has_transition_perm(bound_method: Any, user: Any) -> bool: ...
