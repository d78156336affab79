"""A real Celery worker takes a recompute off Redis and writes the results."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from celery.result import AsyncResult, EagerResult
from django.db import connection

from recommendations import tasks
from recommendations.models import Generation, GenerationStatus, Kind, Similarity
from recommendations.services import start_generation
from tests.factories import BackerFactory, BackingFactory, ProjectFactory

BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not BROKER_URL, reason="CELERY_BROKER_URL is not set"),
]


def worker_database_url() -> str:
    """A URL that points the worker at the database this test writes to."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Worker:
    """A Celery worker process listening on its own queue, logging to a file."""

    queue: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, seconds: float = 30) -> str:
        """Return the worker's output once it holds `text`, or as it is then."""
        deadline = time.monotonic() + seconds
        while text not in self.output() and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.output()


@pytest.fixture
def worker(tmp_path) -> Iterator[Worker]:
    queue = f"kickrec-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "kickrec",
                "worker",
                "--pool=solo",
                "--queues",
                queue,
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        yield Worker(queue, log)
        process.terminate()
        process.wait(timeout=30)
    print(log.read_text(errors="replace"))


@pytest.mark.django_db(transaction=True)
def test_a_worker_computes_a_queued_generation_into_the_database(worker, settings):
    from kickrec.celery import app

    app.conf.task_always_eager = False
    p1, p2 = ProjectFactory(), ProjectFactory()
    for backer, project, amount in [
        ("b1", p1, 25),
        ("b2", p1, 10),
        ("b1", p2, 50),
        ("b3", p2, 20),
    ]:
        BackingFactory(
            backer=BackerFactory(key=backer), project=project, amount=Decimal(amount)
        )
    generation = start_generation(Kind.COLLABORATIVE)

    result = tasks.compute_generation.apply_async(
        args=[generation.pk], queue=worker.queue
    )

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        generation.refresh_from_db()
        if generation.status not in (
            GenerationStatus.PENDING,
            GenerationStatus.RUNNING,
        ):
            break
        time.sleep(0.5)
    assert generation.status == GenerationStatus.PUBLISHED
    row = Similarity.objects.current().get(source=p1)
    assert row.target_id == p2.pk
    assert row.score == pytest.approx(0.862069, abs=1e-6)
    assert generation.is_current
    assert Generation.objects.filter(status=GenerationStatus.PENDING).count() == 0

    # Sent to the broker, not run in this process: the worker logged it.
    assert isinstance(result, AsyncResult)
    assert not isinstance(result, EagerResult)
    done = f"Task recommendations.tasks.compute_generation[{result.id}] succeeded"
    output = worker.wait_for(done)
    assert f"compute_generation[{result.id}] received" in output
    assert f"{done} in " in output
    assert "'status': 'published', 'rows': 2}" in output.split(done, 1)[1]
