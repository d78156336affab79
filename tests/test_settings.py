"""Settings read from the environment: with no broker, tasks run in-process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRINT_EAGER = """
import django
django.setup()
from kickrec.celery import app
print(app.conf.task_always_eager)
"""


def celery_eager_with(environment: dict[str, str]) -> str:
    """What a fresh process with `environment` makes of task_always_eager."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env.update(DJANGO_SETTINGS_MODULE="kickrec.settings", **environment)
    done = subprocess.run(
        [sys.executable, "-c", PRINT_EAGER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.parametrize(
    "environment, eager",
    [
        ({}, "True"),
        ({"CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}, "False"),
        (
            {
                "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
                "CELERY_TASK_ALWAYS_EAGER": "true",
            },
            "True",
        ),
    ],
)
def test_tasks_run_in_process_unless_a_broker_is_set(environment, eager):
    assert celery_eager_with(environment) == eager
