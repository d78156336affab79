from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from projects import importers
from projects.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update projects from a CSV file, gzipped or not: a Web "
        "Robots Kickstarter dump or a plain CSV with at least key, name and "
        "blurb columns. Projects are matched on their key, so running a file "
        "twice is safe. Rows that cannot be read are reported by line and "
        "skipped; anything else that goes wrong leaves the database as it was."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--format",
            choices=importers.FORMATS,
            default="auto",
            help="The file's layout (default: auto, read from the header).",
        )

    def run_import(self, **options: Any) -> importers.ImportReport:
        return importers.import_projects(
            options["file"],
            options["format"],
            dry_run=options["dry_run"],
            batch_size=options["batch_size"],
        )
