"""What the import commands share: the file, --dry-run, --batch-size, the
report. Django skips modules starting with an underscore as commands."""

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


class ImportCommand(BaseCommand):
    batch_help = "Rows read and written together"

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
            help=f"{self.batch_help} (default: {importers.BATCH_SIZE}).",
        )

    def run_import(self, **options: Any) -> importers.ImportReport:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = self.run_import(**options)
        except importers.ImportFileError as error:
            raise CommandError(str(error)) from error
        except KeyboardInterrupt as error:
            # The import's transaction has rolled back on the way out, so
            # the file can simply be imported again. 130 is what a shell
            # reports for a process stopped by Ctrl-C.
            raise CommandError(
                f"Interrupted: nothing of {options['file']} was imported.",
                returncode=130,
            ) from error

        for line in report.problem_lines():
            self.stderr.write(line)
        self.stdout.write(report.summary())
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was saved.")
