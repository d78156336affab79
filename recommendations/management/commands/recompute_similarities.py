from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from recommendations import services, tasks
from recommendations.models import Kind


class Command(BaseCommand):
    help = (
        "Recompute project-to-project similarities and publish them. Runs "
        "in this process with a progress bar, or queues Celery tasks with "
        "--queue. Pages keep serving the previous results until each kind "
        "is published."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind",
            choices=[*Kind.values, "all"],
            default="all",
            help="Which similarity to recompute (default: all).",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the work for Celery workers instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kinds = Kind.values if options["kind"] == "all" else [options["kind"]]
        queued: list[str] = []
        for kind in kinds:
            generation = services.start_generation(kind)
            if not options["queue"]:
                self._run(kind, generation.pk)
                continue

            try:
                tasks.queue_generation(generation.pk)
            except tasks.BrokerUnreachable as error:
                done = f"only {', '.join(queued)} was" if queued else "nothing was"
                raise CommandError(f"{error}; {done} queued.") from error
            queued.append(kind)
            self.stdout.write(f"{kind}: queued generation {generation.pk}")

    def _run(self, kind: str, generation_id: int) -> None:
        with tqdm(
            desc=kind, unit="project", disable=None, file=self.stderr._out
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            try:
                generation = services.run_generation(generation_id, progress)
            except services.GenerationNotClaimed as error:
                raise CommandError(str(error)) from error
        self.stdout.write(
            f"{kind}: generation {generation.pk} {generation.status}, "
            f"{generation.rows} rows. {generation.message}".rstrip()
        )
