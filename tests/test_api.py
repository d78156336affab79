from datetime import timedelta

import pytest
from django.utils import timezone

from projects.models import Project, ProjectState
from recommendations.models import (
    BlendSettings,
    Generation,
    GenerationStatus,
    Kind,
    Similarity,
)
from tests.factories import BackingFactory, ProjectFactory, deadline_in

pytestmark = pytest.mark.django_db

COLLABORATIVE = Kind.COLLABORATIVE
CONTENT = Kind.CONTENT


def similar(source: Project, target: Project, kind: str, score: float) -> None:
    """Store one row of the current generation of `kind`, as a recompute would."""
    generation, _ = Generation.objects.get_or_create(
        kind=kind,
        is_current=True,
        defaults={"status": GenerationStatus.PUBLISHED},
    )
    Similarity.objects.create(
        generation=generation, kind=kind, source=source, target=target, score=score
    )


def recommendations(client, project_id, **params) -> list[tuple[int, float]]:
    response = client.get(f"/api/projects/{project_id}/recommendations/", params)
    assert response.status_code == 200, response.content
    return [(r["project"]["id"], r["score"]) for r in response.json()["results"]]


def warm_up(project: Project, backings: int) -> None:
    for _ in range(backings):
        BackingFactory(project=project)


@pytest.fixture
def weighted():
    """P1 with two neighbours whose two component scores pull apart."""
    p1, p2, p3 = ProjectFactory.create_batch(3)
    similar(p1, p2, COLLABORATIVE, 0.9)
    similar(p1, p3, COLLABORATIVE, 0.2)
    similar(p1, p2, CONTENT, 0.1)
    similar(p1, p3, CONTENT, 0.8)
    return p1, p2, p3


@pytest.mark.parametrize("cold_backers, backings", [(0, 0), (10, 10), (3, 5)])
def test_blended_score_weighs_components_as_staff_set_them(
    client, weighted, cold_backers, backings
):
    p1, p2, p3 = weighted
    blend = BlendSettings.get_solo()
    blend.cold_backers = cold_backers
    blend.save()
    warm_up(p1, backings)

    response = client.get(f"/api/projects/{p1.pk}/recommendations/")

    assert response.status_code == 200
    body = response.json()
    assert body["project"] == p1.pk
    assert body["strategy"] == "blended"
    # 0.7 * 0.9 + 0.3 * 0.1 = 0.66 and 0.7 * 0.2 + 0.3 * 0.8 = 0.38
    assert [(r["project"]["id"], r["score"]) for r in body["results"]] == [
        (p2.pk, pytest.approx(0.66)),
        (p3.pk, pytest.approx(0.38)),
    ]
    assert body["results"][0]["components"] == {
        "collaborative": pytest.approx(0.9),
        "content": pytest.approx(0.1),
    }
    assert body["results"][0]["project"]["url"] == (
        f"http://testserver/projects/{p2.pk}/"
    )


def test_weights_updated_in_the_database_apply_on_the_next_request(client, weighted):
    p1, p2, p3 = weighted
    BlendSettings.get_solo()
    BlendSettings.objects.update(cold_backers=0)
    assert recommendations(client, p1.pk)[0][0] == p2.pk

    BlendSettings.objects.update(weights={"collaborative": 0.2, "content": 0.8})

    # 0.2 * 0.2 + 0.8 * 0.8 = 0.68 and 0.2 * 0.9 + 0.8 * 0.1 = 0.26
    assert recommendations(client, p1.pk) == [
        (p3.pk, pytest.approx(0.68)),
        (p2.pk, pytest.approx(0.26)),
    ]


def test_weights_saved_on_the_model_apply_on_the_next_request(client, weighted):
    p1, p2, p3 = weighted
    blend = BlendSettings.get_solo()
    blend.cold_backers = 0
    blend.save()
    assert recommendations(client, p1.pk)[0][0] == p2.pk

    blend.weights = {"collaborative": 0.2, "content": 0.8}
    blend.save()

    assert recommendations(client, p1.pk) == [
        (p3.pk, pytest.approx(0.68)),
        (p2.pk, pytest.approx(0.26)),
    ]


@pytest.mark.parametrize(
    "strategy, expected",
    [
        ("collaborative", [(1, 0.9), (2, 0.2)]),
        ("content", [(2, 0.8), (1, 0.1)]),
    ],
)
def test_a_single_strategy_ranks_by_its_component_alone(
    client, weighted, strategy, expected
):
    projects = weighted

    response = client.get(
        f"/api/projects/{projects[0].pk}/recommendations/", {"strategy": strategy}
    )

    assert response.json()["strategy"] == strategy
    assert [(r["project"]["id"], r["score"]) for r in response.json()["results"]] == [
        (projects[i].pk, pytest.approx(score)) for i, score in expected
    ]


def test_a_cold_project_gets_content_recommendations(client):
    cold, near, far = ProjectFactory.create_batch(3)
    similar(cold, near, CONTENT, 0.45)
    similar(cold, far, CONTENT, 0.15)
    assert BlendSettings.get_solo().cold_backers == 10

    results = client.get(f"/api/projects/{cold.pk}/recommendations/").json()

    # No backers: the collaborative weight ramps to 0, content weighs all.
    assert [(r["project"]["id"], r["score"]) for r in results["results"]] == [
        (near.pk, pytest.approx(0.45)),
        (far.pk, pytest.approx(0.15)),
    ]
    assert results["results"][0]["components"]["collaborative"] == 0


def test_a_project_without_similarities_has_no_recommendations(client):
    lonely = ProjectFactory()

    response = client.get(f"/api/projects/{lonely.pk}/recommendations/")

    assert response.status_code == 200
    assert response.json() == {
        "project": lonely.pk,
        "strategy": "blended",
        "results": [],
    }


@pytest.fixture
def stale_neighbours():
    """P1's stored list [P2..P6] after P2 was deleted, P3 cancelled and P4's
    deadline passed, all since the last recompute."""
    p1, *neighbours = ProjectFactory.create_batch(6)
    for rank, neighbour in enumerate(neighbours):
        similar(p1, neighbour, CONTENT, 0.9 - rank / 10)
    p2, p3, p4, p5, p6 = neighbours
    p2.delete()
    Project.objects.filter(pk=p3.pk).update(state=ProjectState.CANCELED)
    Project.objects.filter(pk=p4.pk).update(
        deadline=timezone.now() - timedelta(hours=1)
    )
    return p1, p5, p6


def test_deleted_cancelled_and_ended_projects_are_not_recommended(
    client, stale_neighbours
):
    p1, p5, p6 = stale_neighbours

    ids = [pk for pk, _ in recommendations(client, p1.pk)]

    assert ids == [p5.pk, p6.pk]


def test_states_any_lifts_the_state_filter(client, stale_neighbours):
    p1, p5, p6 = stale_neighbours

    ids = [pk for pk, _ in recommendations(client, p1.pk, states="any")]

    assert len(ids) == 4  # all but the deleted one
    assert ids[-2:] == [p5.pk, p6.pk]


def test_empty_parameters_count_as_absent(client, stale_neighbours):
    p1, p5, p6 = stale_neighbours

    ids = [pk for pk, _ in recommendations(client, p1.pk, states="", limit="")]

    assert ids == [p5.pk, p6.pk]


def test_states_limits_recommendations_to_the_given_states(client):
    source, live, done, failed = ProjectFactory.create_batch(4)
    Project.objects.filter(pk=done.pk).update(state=ProjectState.SUCCESSFUL)
    Project.objects.filter(pk=failed.pk).update(state=ProjectState.FAILED)
    for target, score in [(live, 0.3), (done, 0.5), (failed, 0.7)]:
        similar(source, target, CONTENT, score)

    ids = [
        pk for pk, _ in recommendations(client, source.pk, states="live, successful")
    ]

    assert ids == [done.pk, live.pk]


def test_limit_is_capped_at_fifty_with_a_bounded_number_of_queries(
    client, django_assert_max_num_queries
):
    source, *neighbours = ProjectFactory.create_batch(56)
    for i, neighbour in enumerate(neighbours):
        similar(source, neighbour, CONTENT, 0.9 - i / 100)
        similar(source, neighbour, COLLABORATIVE, 0.5)
    url = f"/api/projects/{source.pk}/recommendations/"
    BlendSettings.get_solo()

    # The project, the blend settings, the backing count, the similarities,
    # the 50 projects kept.
    with django_assert_max_num_queries(5):
        response = client.get(url, {"limit": "1000000"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 50
    assert len(recommendations(client, source.pk)) == 8
    assert len(recommendations(client, source.pk, limit=3)) == 3


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "2.5"}, "limit"),
        ({"limit": "9" * 2000}, "limit"),
        ({"strategy": "popular"}, "strategy"),
        ({"states": "live,sold-out"}, "states"),
        ({"states": " , "}, "states"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(client, params, parameter):
    project = ProjectFactory()

    response = client.get(f"/api/projects/{project.pk}/recommendations/", params)

    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_errors_say_how_to_fix_the_parameter(client):
    project = ProjectFactory()
    url = f"/api/projects/{project.pk}/recommendations/"

    assert client.get(url, {"limit": "abc"}).json() == {
        "limit": ["limit must be a whole number, e.g. limit=8."]
    }
    strategy_error = client.get(url, {"strategy": "x"}).json()["strategy"][0]
    assert "blended, collaborative, content" in strategy_error
    states_error = client.get(url, {"states": "live,gone"}).json()["states"][0]
    assert '"gone"' in states_error
    assert "live" in states_error


@pytest.mark.parametrize("states", ["any,live", "live, ANY", "any,any"])
def test_any_among_other_states_is_refused_as_to_be_given_alone(client, states):
    project = ProjectFactory()

    response = client.get(
        f"/api/projects/{project.pk}/recommendations/", {"states": states}
    )

    assert response.status_code == 400
    assert response.json() == {
        "states": [
            '"any" means every state and must be given alone, not in a list '
            "with other states."
        ]
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/projects/999999/recommendations/",
        "/api/projects/1%20OR%201=1/",
        "/api/projects/1%20OR%201=1/recommendations/",
        "/api/projects/99999999999999999999999/",
        "/api/projects/-1/",
    ],
)
def test_unknown_projects_are_not_found(client, path):
    ProjectFactory()

    response = client.get(path)

    assert response.status_code == 404


def test_project_list_is_paginated_in_two_queries(
    client, django_assert_max_num_queries
):
    ProjectFactory.create_batch(25)

    with django_assert_max_num_queries(2):
        response = client.get("/api/projects/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["next"].endswith("/api/projects/?page=2")


def test_project_detail_has_every_documented_field(client):
    project = ProjectFactory(
        subcategory="Tabletop Games", url="https://example.com/projects/x/y"
    )

    response = client.get(f"/api/projects/{project.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "key",
        "name",
        "blurb",
        "category",
        "subcategory",
        "creator_name",
        "state",
        "open_for_backing",
        "goal",
        "pledged",
        "currency",
        "goal_usd",
        "pledged_usd",
        "percent_funded",
        "backers_count",
        "launched_at",
        "deadline",
        "url",
        "source_url",
    }
    assert body["percent_funded"] == 25
    assert body["url"] == f"http://testserver/projects/{project.pk}/"
    assert body["source_url"] == "https://example.com/projects/x/y"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Grandma's", ["Grandma's Cookbook"]),
        ("grandma", ["Grandma's Cookbook"]),
        ("' OR 1=1 --", []),
        ("tabletop", ["Dice Tower"]),
        ("", ["Dice Tower", "Grandma's Cookbook"]),
    ],
)
def test_search_finds_projects_by_name_or_category(client, query, expected):
    ProjectFactory(name="Grandma's Cookbook", category="Food")
    ProjectFactory(name="Dice Tower", category="Games", subcategory="Tabletop")

    response = client.get("/api/projects/", {"q": query})

    names = sorted(p["name"] for p in response.json()["results"])
    assert names == expected


def test_project_list_filters_by_category_and_state(client):
    wanted = ProjectFactory(category="Food")
    ProjectFactory(category="Food", state=ProjectState.FAILED)
    # Live in name only: its deadline passed, or was never known.
    ProjectFactory(category="Food", deadline=timezone.now() - timedelta(days=1))
    ProjectFactory(category="Food", deadline=None)
    ProjectFactory(category="Games")

    response = client.get("/api/projects/", {"category": "Food", "state": "live"})

    assert [p["id"] for p in response.json()["results"]] == [wanted.pk]


def test_project_list_refuses_an_unknown_state(client):
    response = client.get("/api/projects/", {"state": "sold-out"})

    assert response.status_code == 400
    assert list(response.json()) == ["state"]


def test_schema_documents_the_recommendation_parameters(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    operation = paths["/api/projects/{id}/recommendations/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "id",
        "strategy",
        "limit",
        "states",
    }
    listing = paths["/api/projects/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"q", "category", "state"}


@pytest.mark.django_db
def test_api_docs_load_their_scripts_from_this_site(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"cdn." not in response.content
    assert b"/static/drf_spectacular_sidecar/" in response.content


@pytest.mark.parametrize(
    ("state", "deadline_in_days", "is_open"),
    [
        (ProjectState.LIVE, 3, True),
        (ProjectState.LIVE, -3, False),
        (ProjectState.LIVE, None, False),
        (ProjectState.SUCCESSFUL, -3, False),
    ],
)
def test_a_project_says_whether_it_can_be_backed_now(
    client, state, deadline_in_days, is_open
):
    project = ProjectFactory(state=state, deadline=deadline_in(deadline_in_days))
    source = ProjectFactory()
    Similarity.objects.create(
        generation=Generation.objects.create(
            kind=CONTENT, status="published", is_current=True
        ),
        kind=CONTENT,
        source=source,
        target=project,
        score=0.5,
    )

    detail = client.get(f"/api/projects/{project.pk}/").json()
    cards = client.get(
        f"/api/projects/{source.pk}/recommendations/", {"states": "any"}
    ).json()["results"]

    assert (detail["state"], detail["open_for_backing"]) == (state, is_open)
    assert [card["project"]["open_for_backing"] for card in cards] == [is_open]
