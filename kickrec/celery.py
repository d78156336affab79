"""The Celery application, configured from Django settings.

With CELERY_BROKER_URL unset the settings make every task run in-process
(task_always_eager), so the embedded SQLite set-up needs no broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kickrec.settings")

app = Celery("kickrec")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
