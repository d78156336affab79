from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
)
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from projects import demo
from projects.models import (
    Backer,
    Backing,
    BackingState,
    Project,
    ProjectState,
)

BATCH = 5000


@dataclass(frozen=True)
class Written:
    projects: int
    skipped: int
    backers: int
    backings: int
    # Demo projects by state and how many are open for backing: every one
    # in the database after a write, the generated ones in a dry run.
    states: Counter[str]
    open_for_backing: int


class Command(BaseCommand):
    help = (
        "Fill the database with believable demo projects, backers and pledges "
        "for trying kickrec without real data. The same --seed gives the same "
        "rows; dates are anchored to today so that live projects are open for "
        "backing. Demo keys start with 'demo-'. A project whose key already "
        "exists is skipped together with its pledges, so a second run adds "
        "nothing; --flush deletes the demo rows first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--projects", type=int, default=3000, help="Projects (default 3000)."
        )
        parser.add_argument(
            "--backers",
            type=int,
            default=None,
            help="Backers (default: five per project).",
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="Random seed (default 42)."
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Delete demo projects and backers (keys 'demo-...') first.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Generate and summarise the rows without writing them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            data = demo.generate(
                options["seed"],
                options["projects"],
                options["backers"],
                now=timezone.now(),
            )
        except ValueError as error:
            raise CommandError(str(error)) from error

        if options["dry_run"]:
            written = _summary_of(data)
        else:
            written = write_demo_data(data, flush=options["flush"])
        self._report(written, options, time.monotonic() - started)

    def _report(self, written: Written, options: dict[str, Any], took: float) -> None:
        if options["dry_run"]:
            head = f"Dry run, nothing written: {written.projects} demo projects"
        else:
            head = (
                f"Wrote {written.projects} demo projects "
                f"({written.skipped} skipped, already present)"
            )
        self.stdout.write(
            f"{head}, {written.backers} backers, {written.backings} backings "
            f"(seed {options['seed']}, {took:.1f}s)."
        )
        states = sorted(written.states.items())
        by_state = ", ".join(f"{state} {count}" for state, count in states)
        label = "Demo projects in the database"
        if options["dry_run"]:
            label = "Generated projects"
        self.stdout.write(
            f"{label}: {written.states.total()} ({by_state or 'none'}), "
            f"{written.open_for_backing} open for backing."
        )


def write_demo_data(data: demo.DemoData, flush: bool = False) -> Written:
    """Write the demo rows in one transaction; return what was written and
    the demo catalogue that the database then holds.

    Projects whose key exists are skipped with their backings; backers whose
    key exists are reused. A few queries per 5000 rows; memory holds one
    model instance per row.
    """
    with transaction.atomic():
        if flush:
            Project.objects.filter(key__startswith=demo.KEY_PREFIX).delete()
            Backer.objects.filter(key__startswith=demo.KEY_PREFIX).delete()
        demo_backers = Backer.objects.filter(key__startswith=demo.KEY_PREFIX)
        backers_before = demo_backers.count()

        new = _write_projects(data.projects)
        Backer.objects.bulk_create(
            [Backer(key=row.key, name=row.name) for row in data.backers],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        backings = _write_backings(data, new)
        backers_added = demo_backers.count() - backers_before

        # The whole catalogue, not only what this run added: a second run
        # adds nothing and should still say what the site now holds.
        states, open_now = _demo_catalogue()

    skipped = len(data.projects) - len(new)
    return Written(len(new), skipped, backers_added, backings, states, open_now)


def _demo_catalogue() -> tuple[Counter[str], int]:
    """Count the demo projects by state, and those open for backing. Two
    queries."""
    projects = Project.objects.filter(key__startswith=demo.KEY_PREFIX)
    by_state = projects.values_list("state").annotate(Count("pk")).order_by()
    return Counter(dict(by_state)), projects.open_for_backing().count()


def _write_projects(rows: list[demo.DemoProject]) -> list[int]:
    """Insert the projects not yet present; return their indices in `rows`."""
    existing = set(
        Project.objects.filter(key__startswith=demo.KEY_PREFIX).values_list(
            "key", flat=True
        )
    )
    new = [i for i, row in enumerate(rows) if row.key not in existing]
    projects = [_project(rows[i]) for i in new]
    Project.objects.bulk_create(projects, batch_size=BATCH)
    return new


def _write_backings(data: demo.DemoData, new_projects: list[int]) -> int:
    project_pk = _pks(Project)
    backer_pk = _pks(Backer)
    project_id = {i: project_pk[data.projects[i].key] for i in new_projects}
    backer_id = [backer_pk[row.key] for row in data.backers]

    backings = [
        _backing(row, backer_id[row.backer], project_id[row.project])
        for row in data.backings
        if row.project in project_id
    ]
    Backing.objects.bulk_create(backings, batch_size=BATCH)
    return len(backings)


def _pks(model: type[Project] | type[Backer]) -> dict[str, int]:
    # One pass over the demo prefix rather than thousands of keys in IN ().
    rows = model.objects.filter(key__startswith=demo.KEY_PREFIX).values_list(
        "key", "pk"
    )
    return dict(rows.iterator(chunk_size=BATCH))


def _project(row: demo.DemoProject) -> Project:
    goal, pledged = Decimal(row.goal), Decimal(row.pledged)
    return Project(
        key=row.key,
        name=row.name,
        blurb=row.blurb,
        category=row.category,
        subcategory=row.subcategory,
        creator_name=row.creator_name,
        creator_key=row.creator_key,
        country="US",
        currency="USD",
        goal=goal,
        pledged=pledged,
        usd_rate=Decimal(1),
        goal_usd=goal,
        pledged_usd=pledged,
        backers_count=row.backers_count,
        state=ProjectState(row.state),
        launched_at=row.launched_at,
        deadline=row.deadline,
    )


def _backing(row: demo.DemoBacking, backer_id: int, project_id: int) -> Backing:
    return Backing(
        backer_id=backer_id,
        project_id=project_id,
        amount=Decimal(row.amount),
        state=BackingState(row.state),
        backed_at=row.backed_at,
    )


def _summary_of(data: demo.DemoData) -> Written:
    states = Counter(p.state for p in data.projects)
    # Live demo projects are generated open: their deadlines lie ahead.
    return Written(
        len(data.projects),
        0,
        len(data.backers),
        len(data.backings),
        states,
        states[demo.LIVE],
    )
