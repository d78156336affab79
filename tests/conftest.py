import os
from pathlib import Path

import pytest

SHARED_DATA = Path(
    os.environ.get("KICKREC_TEST_DATA")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "data"
)


@pytest.fixture(autouse=True)
def _tasks_in_process(settings):
    # Unit tests run Celery tasks in the test process; the worker test in
    # test_worker.py is the one place a real worker takes them off Redis.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from kickrec.celery import app

    app.conf.task_always_eager = True
    yield


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA
