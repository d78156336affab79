"""Recomputing similarities into the database, checked against the original
per-request SQL and against hand-worked cosines."""

import logging
import math
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from projects.models import Backing, BackingState, Project
from recommendations import services, tasks
from recommendations.models import Generation, GenerationStatus, Kind, Similarity
from tests.factories import BackerFactory, BackingFactory, ProjectFactory

pytestmark = pytest.mark.django_db

# The query the replaced system ran on every page view, kept as the oracle.
# Magnitudes come from a per-project subquery over active backings.
ORIGINAL_SQL = """
    with active as (
        select backer_id, project_id, amount from projects_backing
        where state not in ('refunded', 'cancelled', 'dropped') and amount > 0
    ),
    stats as (
        select project_id as project, sqrt(sum(amount * amount)) as magnitude
        from active group by project_id
    )
    select sum(b1.amount * b2.amount) / s1.magnitude / s2.magnitude as score,
           p2.id
    from active b1 join active b2 on b1.backer_id = b2.backer_id
    join stats s1 on s1.project = b1.project_id
    join stats s2 on s2.project = b2.project_id
    join projects_project p2 on p2.id = b2.project_id
    where b1.project_id = %s and b2.project_id <> b1.project_id
    group by p2.id, s1.magnitude, s2.magnitude
    order by score desc
"""


def original_scores(project_id):
    with connection.cursor() as cursor:
        cursor.execute(ORIGINAL_SQL, [project_id])
        return {target: float(score) for score, target in cursor.fetchall()}


def stored(kind, source):
    rows = Similarity.objects.current().filter(kind=kind, source=source)
    return [(r.target_id, r.score) for r in rows.order_by("-score", "target_id")]


def recompute(kind=Kind.COLLABORATIVE):
    generation = services.start_generation(kind)
    return services.run_generation(generation.pk)


def back(backer, project, amount, state=BackingState.COLLECTED):
    return BackingFactory(
        backer=BackerFactory(key=backer),
        project=project,
        amount=Decimal(str(amount)),
        state=state,
    )


def test_collaborative_scores_equal_the_original_sql(settings):
    settings.KICKREC = {**settings.KICKREC, "TOP_N": 500}
    rng = np.random.default_rng(2024)
    projects = ProjectFactory.create_batch(40)
    backers = [BackerFactory() for _ in range(120)]
    for backer in backers:
        picks = rng.choice(len(projects), size=rng.integers(1, 8), replace=False)
        for index in picks:
            state = rng.choice(["collected", "collected", "pending", "refunded"])
            amount = Decimal(str(round(float(rng.lognormal(3.5, 0.8)), 2)))
            BackingFactory(
                backer=backer, project=projects[index], amount=amount, state=state
            )

    recompute()

    checked = 0
    for project in projects[:12]:
        expected = original_scores(project.pk)
        found = dict(stored(Kind.COLLABORATIVE, project))
        assert found.keys() == expected.keys()
        for target, score in expected.items():
            assert found[target] == pytest.approx(score, abs=1e-9)
        checked += bool(expected)
    assert checked >= 10


def test_top_n_keeps_the_first_n_of_the_original_sql(settings):
    settings.KICKREC = {**settings.KICKREC, "TOP_N": 3}
    rng = np.random.default_rng(5)
    projects = ProjectFactory.create_batch(15)
    for b in range(60):
        for index in rng.choice(15, size=4, replace=False):
            back(f"b{b}", projects[index], int(rng.integers(1, 200)))

    recompute()

    for project in projects:
        expected = sorted(original_scores(project.pk).values(), reverse=True)[:3]
        scores = [score for _, score in stored(Kind.COLLABORATIVE, project)]
        assert scores == pytest.approx(expected, abs=1e-9)


def test_by_default_each_project_keeps_its_50_best_neighbours(settings):
    assert settings.KICKREC["TOP_N"] == 50  # the default, not overridden
    projects = ProjectFactory.create_batch(60)
    for project in projects:
        back("everyone", project, 25)

    generation = recompute()

    # One backer backs all 60: every pair scores 1, so which 50 of the 59
    # others are kept is a tie; how many are kept is not.
    ids = {p.pk for p in projects}
    assert generation.rows == 60 * 50
    for project in projects:
        found = stored(Kind.COLLABORATIVE, project)
        targets = {target for target, _ in found}
        assert len(found) == len(targets) == 50
        assert project.pk not in targets
        assert targets <= ids
        assert all(score == pytest.approx(1.0) for _, score in found)


def test_two_projects_score_0_862069_both_ways():
    p1, p2 = ProjectFactory(), ProjectFactory()
    back("b1", p1, 25), back("b2", p1, 10), back("b1", p2, 50), back("b3", p2, 20)

    recompute()

    assert stored(Kind.COLLABORATIVE, p1) == [
        (p2.pk, pytest.approx(0.862069, abs=1e-6))
    ]
    assert stored(Kind.COLLABORATIVE, p2) == [
        (p1.pk, pytest.approx(0.862069, abs=1e-6))
    ]
    row = Similarity.objects.current().get(source=p1)
    assert row.support == 1


def test_projects_without_active_backings_are_in_no_collaborative_row():
    p1, p2 = ProjectFactory(), ProjectFactory()
    unbacked, zero, refunded = ProjectFactory(), ProjectFactory(), ProjectFactory()
    back("b1", p1, 25), back("b1", p2, 50)
    back("b1", zero, 0)
    back("b1", refunded, 30, BackingState.REFUNDED)

    recompute()

    involved = Similarity.objects.current().values_list("source", "target")
    ids = {pk for pair in involved for pk in pair}
    assert ids == {p1.pk, p2.pk}
    assert not ids & {unbacked.pk, zero.pk, refunded.pk}


def test_identical_backers_score_1_and_a_project_never_lists_itself():
    p1, p2, p3 = ProjectFactory(), ProjectFactory(), ProjectFactory()
    back("b1", p1, 10), back("b2", p1, 20)
    back("b1", p2, 10), back("b2", p2, 20)
    back("b2", p3, 5), back("b3", p3, 5)

    recompute()

    assert stored(Kind.COLLABORATIVE, p1) == [
        (p2.pk, pytest.approx(1.0, abs=1e-6)),
        (p3.pk, pytest.approx(0.632456, abs=1e-6)),
    ]
    assert not Similarity.objects.filter(source=p1, target=p1).exists()


def test_imported_duplicate_rows_are_summed_and_a_second_recompute_is_identical(
    tmp_path,
):
    p1 = ProjectFactory(key="c/p1")
    p2 = ProjectFactory(key="c/p2")
    csv = tmp_path / "backings.csv"
    csv.write_text(
        "backer,project,amount\n"
        "b1,c/p1,20\nb1,c/p1,5\nb2,c/p1,10\nb1,c/p2,30\nb2,c/p2,10\n"
    )
    call_command("import_backings", str(csv))

    recompute()
    first = stored(Kind.COLLABORATIVE, p1)
    recompute()
    second = stored(Kind.COLLABORATIVE, p1)

    assert first == [(p2.pk, pytest.approx(0.998274, abs=1e-6))]
    assert second == first
    assert Similarity.objects.filter(kind=Kind.COLLABORATIVE).count() == 2


def test_refunded_and_cancelled_backings_are_ignored():
    p1, p2, p3 = ProjectFactory(), ProjectFactory(), ProjectFactory()
    back("b1", p1, 40), back("b2", p1, 25, BackingState.REFUNDED)
    back("b1", p2, 30), back("b2", p2, 25)
    back("b2", p3, 60), back("b5", p3, 15, BackingState.CANCELLED)

    recompute()

    scores = dict(stored(Kind.COLLABORATIVE, p2))
    assert dict(stored(Kind.COLLABORATIVE, p1)) == {
        p2.pk: pytest.approx(0.768221, abs=1e-6)
    }
    assert scores[p3.pk] == pytest.approx(0.640184, abs=1e-6)
    assert p3.pk not in dict(stored(Kind.COLLABORATIVE, p1))
    assert Backing.objects.filter(state=BackingState.REFUNDED).count() == 1


def test_content_neighbours_follow_shared_words():
    lantern = ProjectFactory(name="solar lantern kit", blurb="", category="")
    charger = ProjectFactory(name="solar charger kit", blurb="", category="")
    dice = ProjectFactory(name="board game dice", blurb="", category="")

    generation = recompute(Kind.CONTENT)

    assert generation.status == GenerationStatus.PUBLISHED
    assert stored(Kind.CONTENT, lantern)[0][0] == charger.pk
    assert stored(Kind.CONTENT, dice) == []
    scores = Similarity.objects.current().values_list("score", flat=True)
    assert all(0 < s <= 1 and math.isfinite(s) for s in scores)


def test_a_corpus_of_stop_words_skips_content_but_not_collaborative(caplog):
    p1 = ProjectFactory(name="the", blurb="and of 2020", category="")
    p2 = ProjectFactory(name="it is", blurb="1999", category="")
    back("b1", p1, 10), back("b1", p2, 10)

    with caplog.at_level(logging.WARNING, logger="recommendations.services"):
        call_command("recompute_similarities", "--kind", "all")

    content = Generation.objects.of_kind(Kind.CONTENT).get()
    assert content.status == GenerationStatus.SKIPPED
    assert "content similarity skipped" in caplog.text
    assert stored(Kind.COLLABORATIVE, p1) == [(p2.pk, pytest.approx(1.0))]


def test_pages_and_api_answer_after_content_is_skipped(client):
    p1 = ProjectFactory(name="the", blurb="and of 2020", category="")
    p2 = ProjectFactory(name="it is", blurb="1999", category="")
    back("b1", p1, 10), back("b1", p2, 10)
    call_command("recompute_similarities", "--kind", "all")
    assert Generation.objects.of_kind(Kind.CONTENT).get().status == "skipped"

    page = client.get(f"/projects/{p1.pk}/")
    frame = client.get(f"/projects/{p1.pk}/recommendations/frame/")
    api = client.get(f"/api/projects/{p1.pk}/recommendations/")

    assert page.status_code == frame.status_code == api.status_code == 200
    assert f'href="/projects/{p2.pk}/"' in page.content.decode()
    assert f'href="/projects/{p2.pk}/"' in frame.content.decode()
    # One backer of the default 10 for a warm project: the collaborative
    # weight 0.7 ramps to 0.07, so the blend is 0.07 / (0.07 + 0.3) * 1.0.
    [result] = api.json()["results"]
    assert result["project"]["id"] == p2.pk
    assert result["score"] == pytest.approx(0.07 / 0.37, abs=1e-6)
    assert result["components"] == {
        "collaborative": pytest.approx(1.0),
        "content": 0.0,
    }


def test_a_skipped_content_run_keeps_the_last_content_list():
    lantern = ProjectFactory(name="solar lantern kit", blurb="", category="")
    charger = ProjectFactory(name="solar charger kit", blurb="", category="")
    published = recompute(Kind.CONTENT)
    before = stored(Kind.CONTENT, lantern)
    Project.objects.update(name="the and of", blurb="2020")

    skipped = recompute(Kind.CONTENT)

    assert skipped.status == GenerationStatus.SKIPPED
    assert [target for target, _ in before] == [charger.pk]
    assert stored(Kind.CONTENT, lantern) == before
    assert Generation.objects.of_kind(Kind.CONTENT).current().get() == published


def test_a_project_with_only_zero_or_refunded_backings_has_its_pages(client):
    p1 = ProjectFactory(name="solar charger kit", blurb="", category="")
    p2 = ProjectFactory(name="board game dice", blurb="", category="")
    zero = ProjectFactory(name="solar lantern kit", blurb="", category="")
    refunded = ProjectFactory(name="solar lamp kit", blurb="", category="")
    back("b1", p1, 25), back("b1", p2, 50)
    back("b1", zero, 0), back("b2", zero, 0)
    back("b1", refunded, 30, BackingState.REFUNDED)
    call_command("recompute_similarities")

    for project in (zero, refunded):
        page = client.get(f"/projects/{project.pk}/")
        frame = client.get(f"/projects/{project.pk}/recommendations/frame/")
        api = client.get(f"/api/projects/{project.pk}/recommendations/")
        alone = client.get(
            f"/api/projects/{project.pk}/recommendations/",
            {"strategy": "collaborative"},
        )

        assert page.status_code == frame.status_code == 200
        assert api.status_code == alone.status_code == 200
        assert alone.json()["results"] == []
        # Served by content alone: the solar kits share words.
        results = api.json()["results"]
        assert p1.pk in {r["project"]["id"] for r in results}
        assert all(r["components"]["collaborative"] == 0.0 for r in results)
    assert (
        not Similarity.objects.current()
        .filter(kind=Kind.COLLABORATIVE, source__in=[zero, refunded])
        .exists()
    )


def test_readers_see_the_old_list_until_the_new_one_is_published():
    p1, p2, p3 = ProjectFactory(), ProjectFactory(), ProjectFactory()
    back("b1", p1, 10), back("b1", p2, 10)
    recompute()
    back("b2", p1, 10), back("b2", p3, 10)
    seen_while_writing = []

    generation = services.start_generation(Kind.COLLABORATIVE)
    services.run_generation(
        generation.pk,
        progress=lambda done, total: seen_while_writing.append(
            stored(Kind.COLLABORATIVE, p1)
        ),
    )

    assert seen_while_writing
    assert all(seen == [(p2.pk, pytest.approx(1.0))] for seen in seen_while_writing)
    assert [t for t, _ in stored(Kind.COLLABORATIVE, p1)] == [p2.pk, p3.pk]
    assert Generation.objects.of_kind(Kind.COLLABORATIVE).current().count() == 1
    assert Similarity.objects.filter(kind=Kind.COLLABORATIVE).count() == 4


def test_a_failed_recompute_keeps_the_published_list(monkeypatch):
    p1, p2 = ProjectFactory(), ProjectFactory()
    back("b1", p1, 10), back("b1", p2, 10)
    recompute()
    back("b2", p1, 5), back("b2", p2, 5)

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(services, "_publish", broken)
    generation = services.start_generation(Kind.COLLABORATIVE)
    with pytest.raises(MemoryError):
        services.run_generation(generation.pk)

    generation.refresh_from_db()
    assert generation.status == GenerationStatus.FAILED
    assert "out of memory" in generation.message
    assert not Similarity.objects.of_generation(generation).exists()
    assert stored(Kind.COLLABORATIVE, p1) == [(p2.pk, pytest.approx(1.0))]


def test_a_generation_is_computed_once_even_when_its_task_runs_twice():
    p1, p2 = ProjectFactory(), ProjectFactory()
    back("b1", p1, 10), back("b1", p2, 10)
    generation = services.start_generation(Kind.COLLABORATIVE)

    first = tasks.compute_generation.delay(generation.pk).get()
    second = tasks.compute_generation.delay(generation.pk).get()

    assert first["status"] == GenerationStatus.PUBLISHED and first["rows"] == 2
    assert second["status"] == "not-claimed"
    assert Similarity.objects.count() == 2


def test_starting_twice_before_a_run_queues_one_generation():
    first = services.start_generation(Kind.CONTENT)
    second = services.start_generation(Kind.CONTENT)

    assert first.pk == second.pk
    assert Generation.objects.count() == 1


def test_deleting_a_project_removes_its_rows_in_both_directions():
    p1, p2, p3 = ProjectFactory(), ProjectFactory(), ProjectFactory()
    back("b1", p1, 10), back("b1", p2, 10), back("b1", p3, 10)
    recompute()

    p2.delete()

    assert [t for t, _ in stored(Kind.COLLABORATIVE, p1)] == [p3.pk]
    assert Similarity.objects.filter(source=p1).count() == 1


def test_an_older_run_finishing_last_does_not_replace_a_newer_list():
    p1, p2 = ProjectFactory(), ProjectFactory()
    back("b1", p1, 10), back("b1", p2, 10)
    older = services.start_generation(Kind.COLLABORATIVE)
    services.claim(older.pk)
    Generation.objects.filter(pk=older.pk).update(status=GenerationStatus.PENDING)
    newer = Generation.objects.create(kind=Kind.COLLABORATIVE, params=older.params)

    services.run_generation(newer.pk)
    services.run_generation(older.pk)

    older.refresh_from_db()
    assert older.status == GenerationStatus.SUPERSEDED
    assert Generation.objects.current().get().pk == newer.pk
    assert Similarity.objects.count() == 2
