from __future__ import annotations

from typing import Any

from projects import importers
from projects.management.commands._import import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update backings from a CSV file, gzipped or not, with "
        "backer and project columns and optional amount, state and time. "
        "Projects must be imported first; backers are created as needed. "
        "Rows for the same backer and project are summed into one backing, "
        "so running a file twice is safe. Rows that cannot be read are "
        "reported by line and skipped."
    )
    batch_help = "Backings written together"

    def run_import(self, **options: Any) -> importers.ImportReport:
        return importers.import_backings(
            options["file"],
            dry_run=options["dry_run"],
            batch_size=options["batch_size"],
        )
