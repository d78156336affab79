"""The demo data command and the generator behind it."""

import statistics
from collections import Counter
from datetime import UTC, datetime
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from projects import demo
from projects.models import (
    Backer,
    Backing,
    BackingState,
    Project,
    ProjectState,
)
from recommendations import kernels
from tests.factories import ProjectFactory

KICKSTARTER_CATEGORIES = {
    "Art", "Comics", "Crafts", "Dance", "Design", "Fashion", "Film & Video",
    "Food", "Games", "Journalism", "Music", "Photography", "Publishing",
    "Technology", "Theater",
}  # fmt: skip
SMALL = 300


def generate(*args: str, projects: int = SMALL) -> str:
    out = StringIO()
    options = ["--projects", str(projects), *args]
    call_command("generate_demo_data", *options, stdout=out)
    return out.getvalue()


def snapshot() -> tuple[list, list]:
    names = list(Project.objects.order_by("key").values_list("key", "name"))
    amounts = list(
        Backing.objects.order_by("backer__key", "project__key").values_list(
            "backer__key", "project__key", "amount", "state"
        )
    )
    return names, amounts


def row_counts() -> tuple[int, int, int]:
    return (
        Project.objects.count(),
        Backer.objects.count(),
        Backing.objects.count(),
    )


def same_category_share(category: np.ndarray, blocks: list) -> float:
    pairs = [category[b.source] == category[b.target] for b in blocks]
    return float(np.concatenate(pairs).mean())


@pytest.mark.django_db
def test_the_same_seed_writes_the_same_names_and_amounts():
    generate("--seed", "7")
    first = snapshot()

    generate("--seed", "7", "--flush")

    assert snapshot() == first
    assert len(first[0]) == SMALL
    assert len(first[1]) > SMALL


@pytest.mark.django_db
def test_another_seed_writes_other_projects():
    generate("--seed", "7")
    first = snapshot()

    generate("--seed", "8", "--flush")

    assert snapshot()[0] != first[0]


@pytest.mark.django_db
def test_the_median_pledge_lies_between_25_and_100_dollars():
    generate()

    amounts = Backing.objects.values_list("amount", flat=True)
    assert 25 <= statistics.median(amounts) <= 100


@pytest.mark.django_db
def test_about_a_third_of_the_projects_are_open_for_backing():
    generate()

    open_now = Project.objects.open_for_backing().count()
    assert 0.25 * SMALL <= open_now <= 0.45 * SMALL
    assert open_now == Project.objects.filter(state=ProjectState.LIVE).count()


@pytest.mark.django_db
def test_a_few_projects_draw_most_backers():
    generate()

    counts = sorted(Project.objects.values_list("backers_count", flat=True))
    assert counts[-1] >= 10 * statistics.median(counts)
    top_tenth = sum(counts[-len(counts) // 10 :])
    assert top_tenth >= 0.4 * sum(counts)


@pytest.mark.django_db
def test_every_kickstarter_category_is_present():
    generate()

    categories = set(Project.objects.values_list("category", flat=True))
    assert categories == KICKSTARTER_CATEGORIES
    assert "" not in set(Project.objects.values_list("subcategory", flat=True))


@pytest.mark.django_db
def test_a_second_run_skips_what_is_there():
    generate()
    before = row_counts()

    output = generate()

    assert f"Wrote 0 demo projects ({SMALL} skipped" in output
    assert row_counts() == before


def catalogue_line(output: str) -> str:
    [line] = [
        line
        for line in output.splitlines()
        if line.startswith("Demo projects in the database:")
    ]
    return line


@pytest.mark.django_db
def test_a_second_run_reports_the_catalogue_it_kept():
    generate()
    states = Counter(Project.objects.values_list("state", flat=True))
    open_now = sum(p.is_open_for_backing for p in Project.objects.all())
    by_state = ", ".join(f"{state} {states[state]}" for state in sorted(states))

    output = generate()

    assert catalogue_line(output) == (
        f"Demo projects in the database: {SMALL} ({by_state}), "
        f"{open_now} open for backing."
    )
    assert len(states) >= 3
    assert 0 < open_now < SMALL


@pytest.mark.django_db
def test_the_catalogue_counts_demo_projects_only():
    ProjectFactory(key="someone/real-project")

    output = generate(projects=50)

    assert catalogue_line(output).startswith("Demo projects in the database: 50 (")


@pytest.mark.django_db
def test_flush_replaces_demo_rows_and_keeps_imported_ones():
    imported = ProjectFactory(key="someone/real-project")
    generate(projects=100)

    output = generate("--flush", projects=50)

    assert "Wrote 50 demo projects (0 skipped" in output
    assert Project.objects.filter(key__startswith="demo-").count() == 50
    assert Project.objects.filter(pk=imported.pk).exists()


@pytest.mark.django_db
def test_pledged_totals_and_states_agree_with_the_backings():
    generate()

    counted = Backing.objects.exclude(state=BackingState.CANCELLED)
    totals = {
        row["project"]: row["total"]
        for row in counted.values("project").annotate(total=Sum("amount"))
    }
    for project in Project.objects.exclude(state=ProjectState.CANCELED):
        assert project.pledged == totals.get(project.pk, 0), project.key
        assert project.pledged_usd == project.pledged
        assert project.currency == "USD"
        if project.state == ProjectState.SUCCESSFUL:
            assert project.pledged >= project.goal, project.key
        if project.state == ProjectState.FAILED:
            assert project.pledged < project.goal, project.key


@pytest.mark.django_db
def test_backings_fall_within_their_campaign():
    generate(projects=100)

    for backing in Backing.objects.select_related("project"):
        project = backing.project
        assert project.launched_at <= backing.backed_at <= project.deadline


@pytest.mark.django_db
def test_refunds_and_cancellations_stay_a_small_share():
    generate()

    states = Counter(Backing.objects.values_list("state", flat=True))
    inactive = (
        states[BackingState.REFUNDED]
        + states[BackingState.CANCELLED]
        + states[BackingState.DROPPED]
    )
    assert 0 < inactive <= 0.2 * sum(states.values())


@pytest.mark.django_db
def test_a_dry_run_writes_nothing():
    output = generate("--dry-run")

    assert f"Dry run, nothing written: {SMALL} demo projects" in output
    assert not Project.objects.exists()
    assert not Backing.objects.exists()


@pytest.mark.django_db
def test_too_few_projects_for_the_categories_is_refused():
    with pytest.raises(CommandError, match="at least 15 projects"):
        generate(projects=10)

    assert not Project.objects.exists()


def test_content_neighbours_come_from_the_same_category():
    data = demo.generate(3, 600, None, datetime(2025, 1, 1, tzinfo=UTC))
    texts = [" ".join((p.name, p.blurb)) for p in data.projects]
    category = np.array([p.category for p in data.projects])

    vectors = kernels.lsi_vectors(texts, 100)
    blocks = list(kernels.dense_neighbours(vectors, 10))

    assert same_category_share(category, blocks) >= 0.9


def test_backers_of_a_project_mostly_back_its_category():
    data = demo.generate(3, 600, None, datetime(2025, 1, 1, tzinfo=UTC))
    category = np.array([p.category for p in data.projects])
    rows = np.array([b.project for b in data.backings])
    cols = np.array([b.backer for b in data.backings])
    amounts = np.array([b.amount for b in data.backings], dtype=np.float64)

    shape = (600, len(data.backers))
    matrix = kernels.amount_matrix(rows, cols, amounts, shape)
    blocks = list(kernels.collaborative_neighbours(matrix, 10))

    by_chance = sum((n / 600) ** 2 for n in Counter(category).values())
    assert same_category_share(category, blocks) >= 3 * by_chance


def test_live_projects_stay_open_past_the_run_that_wrote_them():
    now = datetime(2025, 6, 1, 23, 59, tzinfo=UTC)

    data = demo.generate(5, 300, None, now)

    live = [p for p in data.projects if p.state == demo.LIVE]
    assert live
    assert all(p.launched_at <= now < p.deadline for p in live)
    assert all(p.deadline < now for p in data.projects if p.state != demo.LIVE)
