"""Structured logs (structlog): JSON lines in production, a readable console in development.

Every record, ours and the libraries' (Django, Celery), goes through the same processors: the
context bound for the request or the task (its request_id, config/middleware.py and
config/celery.py), the level, the logger's name and a UTC timestamp. A service's change is
logged once, where its timeline event is written (returns/logs.py).
"""

import logging

import structlog

SHARED_PROCESSORS: list = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def renderer(*, as_json: bool):
    if as_json:
        return structlog.processors.JSONRenderer()
    # Plain tracebacks: with `rich` installed (schemathesis brings it) structlog would draw each
    # traceback with rich and its locals, which takes seconds per logged error.
    return structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback
    )


def formatter(*, as_json: bool) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of the console handler (a test attaches one to capture lines)."""
    final = [structlog.processors.format_exc_info] if as_json else []
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *final,
            renderer(as_json=as_json),
        ],
    )


def configure(*, as_json: bool, level: str) -> dict:
    """Configure structlog and return Django's LOGGING for it."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {"()": lambda: formatter(as_json=as_json)},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "INFO"}},
    }


def level_name(level: str) -> str:
    if logging.getLevelName(level.upper()) == f"Level {level.upper()}":
        raise ValueError(f"LOG_LEVEL={level} is no logging level")
    return level.upper()
