"""The import_projects and import_backings commands, end to end."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from projects import importers
from projects.models import Backer, Backing, BackingState, Project, ProjectState
from tests.factories import BackerFactory, BackingFactory, ProjectFactory

pytestmark = pytest.mark.django_db

PLAIN_HEADER = ["project_key", "title", "blurb", "goal", "profile_status"]


def write_csv(
    path: Path, header: list[str], rows: list[list[Any]], *, gz: bool = False
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def run(command: str, *args: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *[str(arg) for arg in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def webrobots_row(**changes: Any) -> dict[str, str]:
    """A Web Robots row with the JSON columns the importer reads."""
    row = {
        "id": "104592348",
        "name": "Breast Cancer Mission Impossible",
        "blurb": "Why ten women from one town share a cancer.",
        "state": "failed",
        "country": "US",
        "currency": "USD",
        "goal": "1000",
        "pledged": "20",
        "usd_pledged": "20.0",
        "static_usd_rate": "1",
        "backers_count": "1",
        "launched_at": "1494028951",
        "deadline": "1499212951",
        "category": {"name": "Video", "parent_name": "Journalism"},
        "creator": {"id": 220745515, "name": "Stephanie Balfrey", "slug": "bcmi"},
        "urls": {
            "web": {
                "project": "https://www.kickstarter.com/projects/bcmi/"
                "breast-cancer-mission-impossible?ref=discovery"
            }
        },
    }
    row.update(changes)
    return {
        column: value if isinstance(value, str) else json.dumps(value)
        for column, value in row.items()
    }


def write_webrobots(path: Path, rows: list[dict[str, str]]) -> Path:
    header = list(rows[0])
    return write_csv(path, header, [[row[c] for c in header] for row in rows])


# Plain project files -----------------------------------------------------


def test_plain_csv_creates_one_project_per_row(tmp_path):
    path = write_csv(
        tmp_path / "projects.csv",
        ["project_key", "title", "blurb", "creator_name", "backers_count", "ended_on"],
        [
            ["ann/board-game", "Board Game", "Roll the dice.", "Ann", "412", ""],
            ["bob/zine", "Zine", "", "", "", "2014-08-10"],
        ],
    )

    out, err = run("import_projects", path)

    assert out.splitlines()[0] == "created 2, updated 0, unchanged 0, skipped 0"
    assert err == ""
    game = Project.objects.get(key="ann/board-game")
    assert (game.name, game.blurb, game.creator_name) == (
        "Board Game",
        "Roll the dice.",
        "Ann",
    )
    assert game.backers_count == 412
    zine = Project.objects.get(key="bob/zine")
    assert zine.deadline == datetime(2014, 8, 10, tzinfo=UTC)
    assert zine.state == ProjectState.UNKNOWN


@pytest.mark.parametrize(
    ("title", "status", "name", "state"),
    [
        ("Zine (Canceled)", "funding_unsuccessful", "Zine", ProjectState.CANCELED),
        ("Zine (Canceled)", "", "Zine", ProjectState.CANCELED),
        ("Zine (suspended)", "", "Zine", ProjectState.SUSPENDED),
        ("Zine (Canceled) (Canceled)", "", "Zine", ProjectState.CANCELED),
        ("Zine (Canceled)", "listed", "Zine", ProjectState.CANCELED),
        ("Zine (Suspended)", "live_at_scrape", "Zine", ProjectState.SUSPENDED),
        ("Zine (Canceled) Two", "", "Zine (Canceled) Two", ProjectState.UNKNOWN),
        ("(Canceled)", "", "(Canceled)", ProjectState.UNKNOWN),
    ],
)
def test_a_canceled_marker_in_the_title_moves_to_the_state(
    tmp_path, title, status, name, state
):
    path = write_csv(
        tmp_path / "p.csv", PLAIN_HEADER, [["ann/zine", title, "", "", status]]
    )

    run("import_projects", path)

    project = Project.objects.get(key="ann/zine")
    assert (project.name, project.state) == (name, state)


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        (
            "https://www.kickstarter.com/projects/ann/lamp",
            "https://www.kickstarter.com/projects/ann/lamp",
        ),
        ("HTTP://example.com/lamp", "HTTP://example.com/lamp"),
        ("javascript:alert(3)", ""),
        ("data:text/html,<b>hi</b>", ""),
        ("www.example.com/lamp", ""),
    ],
)
def test_only_web_addresses_are_kept_as_a_projects_url(tmp_path, url, stored):
    path = write_csv(
        tmp_path / "p.csv",
        ["project_key", "title", "blurb", "url"],
        [["ann/lamp", "Lamp", "A lamp.", url]],
    )

    out, _ = run("import_projects", path)

    assert out.startswith("created 1,")
    assert Project.objects.get().url == stored


def test_a_web_robots_canceled_title_loses_its_marker(tmp_path):
    row = webrobots_row(name="Mission Impossible (Canceled)", state="canceled")
    path = write_webrobots(tmp_path / "wr.csv", [row])

    run("import_projects", path)

    project = Project.objects.get()
    assert (project.name, project.state) == (
        "Mission Impossible",
        ProjectState.CANCELED,
    )


def test_gzipped_file_is_read_even_without_a_gz_suffix(tmp_path):
    path = write_csv(
        tmp_path / "projects.csv",
        PLAIN_HEADER,
        [["ann/board-game", "Board Game", "Roll the dice.", "100", "listed"]],
        gz=True,
    )

    out, _ = run("import_projects", path)

    assert out.startswith("created 1,")
    assert Project.objects.get().name == "Board Game"


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("listed", ProjectState.SUCCESSFUL),
        ("funding_unsuccessful", ProjectState.FAILED),
        ("live_at_scrape", ProjectState.LIVE),
        ("canceled", ProjectState.CANCELED),
        ("suspended", ProjectState.SUSPENDED),
        ("", ProjectState.UNKNOWN),
        ("on_hold", ProjectState.UNKNOWN),
    ],
)
def test_profile_status_becomes_a_project_state(tmp_path, status, state):
    path = write_csv(
        tmp_path / "p.csv", PLAIN_HEADER, [["ann/game", "Game", "", "", status]]
    )

    run("import_projects", path)

    assert Project.objects.get().state == state


def test_missing_name_is_made_from_the_key(tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        PLAIN_HEADER,
        [
            ["brian/how-to-build-an-app", "n/a", "All you need.", "", ""],
            ["cat/the_quiet_garden", "", "", "", ""],
        ],
    )

    run("import_projects", path)

    names = set(Project.objects.values_list("name", flat=True))
    assert names == {"How to build an app", "The quiet garden"}


def test_bad_rows_are_reported_by_file_line_and_skipped(tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        ["key", "name", "blurb", "goal", "deadline"],
        [
            ["ann/game", "Game", "A blurb\nover two lines", "100", ""],
            ["bob/zine", "Zine", "", "12x", ""],
            ["", "Nameless", "", "5", ""],
            ["cat/film", "Film", "", "-3", ""],
            ["dan/song", "Song", "", "", "next tuesday"],
            ["eve/book", "Book", "", "7", "2020-01-31"],
            ["fay/" + "x" * 300, "Long", "", "", ""],
        ],
    )

    out, err = run("import_projects", path)

    assert err.splitlines() == [
        'line 4: goal "12x" is not a number',
        "line 5: the project has no key",
        'line 6: goal "-3" is negative',
        'line 7: deadline "next tuesday" is not a date',
        f'line 9: key "fay/{"x" * 36}..." is too long',
    ]
    assert out.splitlines()[0] == "created 2, updated 0, unchanged 0, skipped 5"
    assert set(Project.objects.values_list("key", flat=True)) == {
        "ann/game",
        "eve/book",
    }


def test_importing_the_same_file_again_changes_nothing(tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        ["key", "name", "blurb", "goal", "currency", "launched_at"],
        [
            ["ann/game", "Game", "Dice.", "1234.5", "USD", "2020-05-01T10:00:00"],
            ["bob/zine", "Zine", "Paper.", "99.99", "GBP", "1494028951"],
        ],
    )
    run("import_projects", path)
    stamps = dict(Project.objects.values_list("key", "updated_at"))

    out, _ = run("import_projects", path)

    assert out.splitlines()[0] == "created 0, updated 0, unchanged 2, skipped 0"
    assert dict(Project.objects.values_list("key", "updated_at")) == stamps


def test_a_changed_row_updates_that_project_and_empty_cells_keep_values(tmp_path):
    ProjectFactory(key="ann/game", name="Game", blurb="Dice.", goal=Decimal(100))
    ProjectFactory(key="bob/zine", name="Zine", blurb="Paper.", goal=Decimal(5))
    path = write_csv(
        tmp_path / "p.csv",
        ["key", "name", "blurb", "goal"],
        [["ann/game", "Game", "Dice.", "250"], ["bob/zine", "Zine", "", ""]],
    )

    out, _ = run("import_projects", path)

    assert out.splitlines()[0] == "created 0, updated 1, unchanged 1, skipped 0"
    assert Project.objects.get(key="ann/game").goal == Decimal(250)
    zine = Project.objects.get(key="bob/zine")
    assert (zine.blurb, zine.goal) == ("Paper.", Decimal(5))


def test_a_usd_goal_is_its_own_dollar_value(tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        ["key", "name", "blurb", "goal", "pledged", "currency"],
        [["ann/game", "Game", "", "1000", "250.5", "usd"]],
    )

    run("import_projects", path)

    game = Project.objects.get()
    assert (game.currency, game.goal_usd, game.pledged_usd) == (
        "USD",
        Decimal(1000),
        Decimal("250.50"),
    )


def test_a_file_without_key_or_blurb_column_names_them(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["title", "goal"], [["Game", "10"]])

    with pytest.raises(CommandError) as raised:
        run("import_projects", path)

    message = str(raised.value)
    assert "key (or project_key, id)" in message
    assert "blurb (or description, desc)" in message
    assert "title" not in message
    assert not Project.objects.exists()


def test_forcing_the_webrobots_format_on_a_plain_file_names_what_is_missing(
    tmp_path,
):
    path = write_csv(tmp_path / "p.csv", PLAIN_HEADER, [["a/b", "B", "", "", ""]])

    with pytest.raises(CommandError, match="missing columns id, urls, creator"):
        run("import_projects", path, "--format", "webrobots")


def test_dry_run_reports_counts_but_saves_nothing(tmp_path):
    ProjectFactory(key="ann/game", name="Old name")
    path = write_csv(
        tmp_path / "p.csv",
        PLAIN_HEADER,
        [["ann/game", "New name", "", "", ""], ["bob/zine", "Zine", "", "", ""]],
    )

    out, _ = run("import_projects", path, "--dry-run")

    assert out.splitlines() == [
        "created 1, updated 1, unchanged 0, skipped 0",
        "Dry run: nothing was saved.",
    ]
    assert list(Project.objects.values_list("key", "name")) == [
        ("ann/game", "Old name")
    ]


def test_a_crash_part_way_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    ProjectFactory(key="ann/game", name="Old name")
    path = write_csv(
        tmp_path / "p.csv",
        PLAIN_HEADER,
        [
            ["ann/game", "New name", "", "", ""],
            ["bob/zine", "Zine", "", "", ""],
            ["cat/film", "Film", "", "", ""],
        ],
    )
    save = importers._save
    calls = []

    def save_then_fail(*args: Any) -> None:
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        save(*args)

    monkeypatch.setattr(importers, "_save", save_then_fail)

    with pytest.raises(RuntimeError, match="disk full"):
        run("import_projects", path, "--batch-size", "1")

    assert len(calls) == 2
    assert list(Project.objects.values_list("key", "name")) == [
        ("ann/game", "Old name")
    ]


def test_a_key_repeated_across_batches_makes_one_project(tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        PLAIN_HEADER,
        [
            ["ann/game", "Game", "", "", ""],
            ["bob/zine", "Zine", "", "", ""],
            ["ann/game", "Game, second edition", "", "", ""],
        ],
    )

    out, _ = run("import_projects", path, "--batch-size", "2")

    assert out.splitlines()[0] == "created 2, updated 1, unchanged 0, skipped 0"
    assert Project.objects.get(key="ann/game").name == "Game, second edition"


# Web Robots project files ------------------------------------------------


def test_webrobots_row_becomes_a_project_keyed_by_its_url(tmp_path):
    path = write_webrobots(
        tmp_path / "Kickstarter.csv",
        [
            webrobots_row(
                currency="EUR",
                goal="500",
                pledged="80",
                usd_pledged="",
                static_usd_rate="1.25",
            )
        ],
    )

    out, _ = run("import_projects", path)

    assert out.splitlines()[0] == "created 1, updated 0, unchanged 0, skipped 0"
    project = Project.objects.get()
    assert project.key == "bcmi/breast-cancer-mission-impossible"
    assert project.url == (
        "https://www.kickstarter.com/projects/bcmi/breast-cancer-mission-impossible"
    )
    assert (project.external_id, project.name) == (
        "104592348",
        "Breast Cancer Mission Impossible",
    )
    assert (project.category, project.subcategory) == ("Journalism", "Video")
    assert (project.creator_name, project.creator_key) == ("Stephanie Balfrey", "bcmi")
    assert (project.goal, project.goal_usd) == (Decimal(500), Decimal(625))
    assert (project.pledged, project.pledged_usd) == (Decimal(80), Decimal(100))
    assert project.state == ProjectState.FAILED
    assert project.launched_at == datetime(2017, 5, 6, 0, 2, 31, tzinfo=UTC)


def test_malformed_creator_json_keeps_the_row_and_recovers_the_name(tmp_path):
    creator = '{"id":641181384,"name":"Kenneth "Kedar" Smith","is_registered":null}'
    path = write_webrobots(tmp_path / "ks.csv", [webrobots_row(creator=creator)])

    out, err = run("import_projects", path)

    assert out.startswith("created 1,")
    assert err == ""
    project = Project.objects.get()
    assert project.creator_name == 'Kenneth "Kedar" Smith'
    assert project.creator_key == "641181384"
    assert project.name == "Breast Cancer Mission Impossible"


def test_duplicate_webrobots_ids_make_one_project(tmp_path):
    first = webrobots_row()
    again = webrobots_row(backers_count="2")
    path = write_webrobots(tmp_path / "ks.csv", [first, again])

    out, _ = run("import_projects", path)

    assert out.splitlines()[0] == "created 1, updated 1, unchanged 0, skipped 0"
    assert Project.objects.get().backers_count == 2


def test_top_level_category_is_the_category_with_no_subcategory(tmp_path):
    row = webrobots_row(category={"name": "Dance", "slug": "dance"})
    path = write_webrobots(tmp_path / "ks.csv", [row])

    run("import_projects", path)

    project = Project.objects.get()
    assert (project.category, project.subcategory) == ("Dance", "")


def test_webrobots_key_falls_back_to_the_id_when_urls_do_not_parse(tmp_path):
    path = write_webrobots(tmp_path / "ks.csv", [webrobots_row(urls="{not json")])

    run("import_projects", path)

    assert Project.objects.get().key == "104592348"


def test_a_reimport_whose_urls_do_not_parse_updates_the_project_it_had(tmp_path):
    good = write_webrobots(tmp_path / "good.csv", [webrobots_row()])
    broken = write_webrobots(
        tmp_path / "broken.csv", [webrobots_row(urls="{not json", backers_count="7")]
    )

    run("import_projects", good)
    out, _ = run("import_projects", broken)

    assert out.splitlines()[0] == "created 0, updated 1, unchanged 0, skipped 0"
    project = Project.objects.get()
    assert project.key == "bcmi/breast-cancer-mission-impossible"
    assert project.backers_count == 7


def test_a_renamed_project_slug_moves_the_key_of_the_same_project(tmp_path):
    renamed = {"web": {"project": "https://www.kickstarter.com/projects/bcmi/bcmi"}}
    first = write_webrobots(tmp_path / "first.csv", [webrobots_row()])
    second = write_webrobots(tmp_path / "second.csv", [webrobots_row(urls=renamed)])
    run("import_projects", first)
    original = Project.objects.get()

    out, _ = run("import_projects", second)

    assert out.splitlines()[0] == "created 0, updated 1, unchanged 0, skipped 0"
    project = Project.objects.get()
    assert (project.pk, project.key) == (original.pk, "bcmi/bcmi")
    assert project.url == "https://www.kickstarter.com/projects/bcmi/bcmi"


def test_an_id_and_a_key_of_two_different_projects_skip_the_row(tmp_path):
    ProjectFactory(key="ann/lamp", name="Lamp")
    path = write_webrobots(tmp_path / "first.csv", [webrobots_row()])
    run("import_projects", path)
    lamp = {"web": {"project": "https://www.kickstarter.com/projects/ann/lamp"}}
    clash = write_webrobots(tmp_path / "clash.csv", [webrobots_row(urls=lamp)])

    out, err = run("import_projects", clash)

    assert out.splitlines()[0] == "created 0, updated 0, unchanged 0, skipped 1"
    assert err.splitlines()[0] == (
        "line 2: id 104592348 is project bcmi/breast-cancer-mission-impossible, "
        'but key "ann/lamp" belongs to another project'
    )
    assert sorted(Project.objects.values_list("key", flat=True)) == [
        "ann/lamp",
        "bcmi/breast-cancer-mission-impossible",
    ]
    assert Project.objects.get(key="ann/lamp").name == "Lamp"


def test_webrobots_unknown_state_becomes_unknown(tmp_path):
    path = write_webrobots(tmp_path / "ks.csv", [webrobots_row(state="purged")])

    run("import_projects", path)

    assert Project.objects.get().state == ProjectState.UNKNOWN


# Backings -----------------------------------------------------------------

BACKING_HEADER = ["backer", "project", "amount", "state", "backed_at"]


def test_backings_link_projects_by_key_or_external_id_and_create_backers(tmp_path):
    game = ProjectFactory(key="ann/game")
    zine = ProjectFactory(key="bob/zine", external_id="5551")
    BackerFactory(key="b1")
    path = write_csv(
        tmp_path / "backings.csv",
        BACKING_HEADER,
        [
            ["b1", "ann/game", "25", "collected", "2020-05-01T12:00:00Z"],
            ["b2", "5551", "10.5", "pending", "1588334400"],
        ],
    )

    out, err = run("import_backings", path)

    assert out.splitlines()[0] == (
        "created 2, updated 0, unchanged 0, skipped 0; 1 new backer"
    )
    assert err == ""
    first = Backing.objects.get(backer__key="b1")
    assert (first.project, first.amount, first.state) == (
        game,
        Decimal(25),
        BackingState.COLLECTED,
    )
    second = Backing.objects.get(backer__key="b2")
    assert (second.project, second.amount) == (zine, Decimal("10.50"))
    assert second.backed_at == datetime(2020, 5, 1, 12, 0, tzinfo=UTC)
    assert Backer.objects.count() == 2


def test_rows_for_one_backer_and_project_are_summed_into_one_backing(tmp_path):
    ProjectFactory(key="ann/game")
    ProjectFactory(key="bob/zine")
    path = write_csv(
        tmp_path / "backings.csv",
        BACKING_HEADER,
        [
            ["b1", "ann/game", "25", "collected", "2020-05-02"],
            ["b1", "ann/game", "40", "refunded", ""],
            ["b1", "bob/zine", "5", "refunded", ""],
            ["b1", "ann/game", "10", "pending", "2020-05-01"],
            ["b1", "bob/zine", "7", "dropped", ""],
        ],
    )

    out, _ = run("import_backings", path)

    assert out.splitlines()[0].startswith(
        "created 2, updated 0, unchanged 0, skipped 0; "
        "3 duplicate rows summed into other backings"
    )
    game = Backing.objects.get(project__key="ann/game")
    assert (game.amount, game.state) == (Decimal(35), BackingState.PENDING)
    assert game.backed_at == datetime(2020, 5, 1, tzinfo=UTC)
    zine = Backing.objects.get(project__key="bob/zine")
    assert (zine.amount, zine.state) == (Decimal(12), BackingState.DROPPED)


def test_unknown_project_is_reported_with_its_line_and_skipped(tmp_path):
    ProjectFactory(key="ann/game")
    path = write_csv(
        tmp_path / "backings.csv",
        ["backer_id", "project_key"],
        [["b1", "ann/game"], ["b2", "foo/bar"], ["b3", "ann/game"]],
    )

    out, err = run("import_backings", path)

    assert err.splitlines() == ['line 3: project "foo/bar" is not imported']
    assert out.startswith("created 2, updated 0, unchanged 0, skipped 1")
    assert set(Backer.objects.values_list("key", flat=True)) == {"b1", "b3"}


def test_importing_the_same_backings_again_changes_nothing(tmp_path):
    ProjectFactory(key="ann/game")
    path = write_csv(
        tmp_path / "backings.csv",
        BACKING_HEADER,
        [
            ["b1", "ann/game", "25", "", ""],
            ["b1", "ann/game", "15", "", ""],
            ["b2", "ann/game", "", "", ""],
        ],
    )
    run("import_backings", path)

    out, _ = run("import_backings", path)

    assert out.splitlines()[0].startswith("created 0, updated 0, unchanged 2")
    assert "new backers" not in out
    amounts = dict(Backing.objects.values_list("backer__key", "amount"))
    assert amounts == {"b1": Decimal(40), "b2": Decimal(1)}


def test_a_file_without_amounts_keeps_amounts_already_stored(tmp_path):
    backing = BackingFactory(
        backer__key="b1", project__key="ann/game", amount=Decimal(30)
    )
    path = write_csv(
        tmp_path / "backings.csv", ["user", "project"], [["b1", "ann/game"]]
    )

    out, _ = run("import_backings", path)

    assert out.startswith("created 0, updated 0, unchanged 1")
    backing.refresh_from_db()
    assert backing.amount == Decimal(30)


def test_refunded_backing_is_stored_but_not_active(tmp_path):
    ProjectFactory(key="ann/game")
    path = write_csv(
        tmp_path / "backings.csv",
        BACKING_HEADER,
        [["b1", "ann/game", "20", "refunded", ""], ["b2", "ann/game", "5", "", ""]],
    )

    run("import_backings", path)

    assert Backing.objects.get(backer__key="b1").state == BackingState.REFUNDED
    assert list(Backing.objects.active().values_list("backer__key", flat=True)) == [
        "b2"
    ]


@pytest.mark.parametrize(
    ("state", "stored"),
    [
        ("canceled", BackingState.CANCELLED),
        ("Cancelled", BackingState.CANCELLED),
        ("errored", BackingState.DROPPED),
        ("", BackingState.COLLECTED),
        ("pending", BackingState.PENDING),
    ],
)
def test_backing_state_names_are_read_leniently(tmp_path, state, stored):
    ProjectFactory(key="ann/game")
    path = write_csv(
        tmp_path / "b.csv", BACKING_HEADER, [["b1", "ann/game", "3", state, ""]]
    )

    run("import_backings", path)

    assert Backing.objects.get().state == stored


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["b1", "ann/game", "3", "lost", ""], 'state "lost" is not a backing state'),
        (["b1", "ann/game", "-3", "", ""], 'amount "-3" is negative'),
        (["b1", "ann/game", "three", "", ""], 'amount "three" is not a number'),
        (
            ["b1", "ann/game", "3", "", "yesterday"],
            'backed_at "yesterday" is not a date',
        ),
        (["", "ann/game", "3", "", ""], "the backing has no backer"),
    ],
)
def test_a_bad_backing_row_is_skipped_with_its_reason(tmp_path, row, reason):
    ProjectFactory(key="ann/game")
    path = write_csv(tmp_path / "b.csv", BACKING_HEADER, [row])

    out, err = run("import_backings", path)

    assert err.strip() == f"line 2: {reason}"
    assert out.startswith("created 0, updated 0, unchanged 0, skipped 1")
    assert not Backing.objects.exists()


def test_backings_dry_run_saves_no_backing_and_no_backer(tmp_path):
    ProjectFactory(key="ann/game")
    path = write_csv(tmp_path / "b.csv", ["backer", "project"], [["b1", "ann/game"]])

    out, _ = run("import_backings", path, "--dry-run")

    assert out.splitlines() == [
        "created 1, updated 0, unchanged 0, skipped 0; 1 new backer",
        "Dry run: nothing was saved.",
    ]
    assert not Backing.objects.exists()
    assert not Backer.objects.exists()


def test_a_backings_file_without_a_project_column_names_it(tmp_path):
    path = write_csv(tmp_path / "b.csv", ["backer", "amount"], [["b1", "3"]])

    with pytest.raises(CommandError, match=r"project \(or project_key, project_id\)"):
        run("import_backings", path)


# Real data -------------------------------------------------------------------


@pytest.mark.realdata
def test_the_real_webrobots_chunk_imports_every_distinct_project(shared_data):
    path = shared_data / "ks-webrobots-2020chunk" / "Kickstarter.csv.gz"

    out, err = run("import_projects", path)

    # SOURCE.md: 3,714 rows, 3,705 distinct ids, 9 ids twice.
    assert out.splitlines()[0] == "created 3705, updated 0, unchanged 9, skipped 0"
    assert err == ""
    assert Project.objects.count() == 3705
    sample = Project.objects.get(external_id="104592348")
    assert sample.name == "Breast Cancer Mission Impossible"
    assert (sample.goal, sample.state) == (Decimal(1000), ProjectState.FAILED)
    assert (sample.category, sample.subcategory) == ("Journalism", "Video")
    assert Project.objects.filter(creator_name='Kenneth "Kedar" Smith').exists()


@pytest.mark.realdata
def test_the_real_finproj_files_import_with_the_documented_counts(shared_data):
    folder = shared_data / "ks-backings-finproj"
    projects_out, projects_err = run("import_projects", folder / "projects.csv.gz")
    backings_out, backings_err = run("import_backings", folder / "backings.csv")

    # SOURCE.md: 35,667 projects, 60,167 backer/project pairs, 594 backers.
    assert projects_out.startswith("created 35667, updated 0, unchanged 0, skipped 0")
    assert backings_out.startswith("created 60167, updated 0, unchanged 0, skipped 0")
    assert projects_err == backings_err == ""
    assert Project.objects.count() == 35667
    assert Backing.objects.active().count() == 60167
    assert Backer.objects.count() == 594
    states = Project.objects.filter(state=ProjectState.SUCCESSFUL).count()
    assert states == 24794


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"project_key,title,blurb\na/lamp,Lamp,ok\nb/dice,Dice,ok\nc/cafe,Caf\xe9,x\n"
    )

    with pytest.raises(CommandError, match=r"^line 4: not UTF-8 text \(byte 0xe9"):
        run("import_projects", path)

    assert Project.objects.count() == 0


def test_a_byte_order_mark_and_a_cell_across_lines_are_read(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(
        b'\xef\xbb\xbfproject_key,title,blurb\r\na/lamp,Lamp,"two\r\nlines"\r\n'
        b"b/dice,Dice,\xc3\xa9t\xc3\xa9\r\n"
    )

    out, _ = run("import_projects", path)

    assert out.startswith("created 2,")
    blurbs = dict(Project.objects.values_list("key", "blurb"))
    assert blurbs == {"a/lamp": "two lines", "b/dice": "été"}
