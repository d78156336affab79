from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects import importers
from projects.management.commands.import_projects import positive


class Command(BaseCommand):
    help = (
        "Create or update backings from a CSV file, gzipped or not, with "
        "backer and project columns and optional amount, state and time. "
        "Projects must be imported first; backers are created as needed. "
        "Rows for the same backer and project are summed into one backing, "
        "so running a file twice is safe. Rows that cannot be read are "
        "reported by line and skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file, or a .gz of it.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check every row, report the counts, save nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=positive,
            default=importers.BATCH_SIZE,
            help=f"Backings written together (default: {importers.BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = importers.import_backings(
                options["file"],
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
