from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects import importers


def positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise ValueError(text)
    return number


class Command(BaseCommand):
    help = (
        "Create or update projects from a CSV file, gzipped or not: a Web "
        "Robots Kickstarter dump or a plain CSV with at least key, name and "
        "blurb columns. Projects are matched on their key, so running a file "
        "twice is safe. Rows that cannot be read are reported by line and "
        "skipped; anything else that goes wrong leaves the database as it was."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file, or a .gz of it.")
        parser.add_argument(
            "--format",
            choices=importers.FORMATS,
            default="auto",
            help="The file's layout (default: auto, read from the header).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check every row, report the counts, save nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=positive,
            default=importers.BATCH_SIZE,
            help=f"Rows read and written together (default: {importers.BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = importers.import_projects(
                options["file"],
                options["format"],
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
            )
        except importers.ImportFileError as error:
            raise CommandError(str(error)) from error

        for line in report.problem_lines():
            self.stderr.write(line)
        self.stdout.write(report.summary())
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was saved.")
