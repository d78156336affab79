"""Send tasks to a real broker address instead of running them in-process."""

from collections.abc import Iterator
from contextlib import contextmanager

from pytest_django.fixtures import Settings

from kickrec.celery import app

# Nothing listens on this port: connecting to it is refused.
UNREACHABLE_BROKER_URL = "redis://127.0.0.1:6399/0"


@contextmanager
def broker_at(url: str, settings: Settings) -> Iterator[None]:
    """Queue tasks on the broker at `url` for the length of the block."""
    eager, write_url = app.conf.task_always_eager, app.conf.get("broker_write_url")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    # The URL tasks are sent to. Not broker_url: Celery reads that from the
    # environment first, where a run on Redis sets it.
    app.conf.broker_write_url = url
    _drop_connection_pools()
    try:
        yield
    finally:
        app.conf.task_always_eager = eager
        app.conf.broker_write_url = write_url
        _drop_connection_pools()


def _drop_connection_pools() -> None:
    # Celery keeps its broker connections in pools made on the first
    # publish, for the URL of that moment; without this, a later test would
    # reach the dead broker, or this one the live one.
    app._pool = None
    app.amqp._producer_pool = None
