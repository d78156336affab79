import pytest
from django.contrib.auth.models import Permission, User

from projects.models import Project
from recommendations.models import (
    BlendSettings,
    Generation,
    GenerationStatus,
    Kind,
    Similarity,
)
from tests.brokers import UNREACHABLE_BROKER_URL, broker_at
from tests.factories import BackingFactory, ProjectFactory

pytestmark = pytest.mark.django_db

BLEND_URL = "/admin/recommendations/blendsettings/"


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


@pytest.fixture
def weighted():
    """P1 with two neighbours whose two component scores pull apart."""
    p1, p2, p3 = ProjectFactory.create_batch(3)
    p2.name, p3.name = "Second", "Third"
    Project.objects.filter(pk=p2.pk).update(name="Second")
    Project.objects.filter(pk=p3.pk).update(name="Third")
    similar(p1, p2, Kind.COLLABORATIVE, 0.9)
    similar(p1, p3, Kind.COLLABORATIVE, 0.2)
    similar(p1, p2, Kind.CONTENT, 0.1)
    similar(p1, p3, Kind.CONTENT, 0.8)
    BlendSettings.objects.get_or_create(pk=1, defaults={"cold_backers": 0})
    return p1, p2, p3


def blend_form(**overrides: str) -> dict[str, object]:
    data: dict[str, object] = {
        "collaborative": "0.7",
        "content": "0.3",
        "cold_backers": "0",
        "recommendable_states": ["live"],
    }
    data.update(overrides)
    return data


def api_ranking(client, project: Project) -> list[tuple[int, float]]:
    response = client.get(f"/api/projects/{project.pk}/recommendations/")
    return [(r["project"]["id"], r["score"]) for r in response.json()["results"]]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/projects/project/",
        "/admin/projects/backer/",
        "/admin/projects/backing/",
        "/admin/recommendations/similarity/",
        "/admin/recommendations/generation/",
        "/admin/recommendations/generation/recompute/",
        BLEND_URL,
    ],
)
def test_admin_pages_load_for_a_superuser(admin_client, weighted, url):
    BackingFactory(project=weighted[0])

    response = admin_client.get(url)

    assert response.status_code == 200


def test_admin_searches_load(admin_client, weighted):
    BackingFactory(project=weighted[0])

    for url in [
        "/admin/projects/project/?q=Second",
        "/admin/projects/backer/?q=backer",
        "/admin/projects/backing/?q=Project",
        "/admin/recommendations/similarity/?q=Third",
    ]:
        assert admin_client.get(url).status_code == 200, url


@pytest.fixture
def named_rows():
    """Four similarity rows between four named projects, two of each kind."""
    lantern = ProjectFactory(name="Solar lantern")
    charger = ProjectFactory(name="Solar charger")
    dice = ProjectFactory(name="Dice tower")
    sleeves = ProjectFactory(name="Card sleeves")
    similar(lantern, charger, Kind.COLLABORATIVE, 0.5)
    similar(charger, lantern, Kind.COLLABORATIVE, 0.5)
    similar(lantern, dice, Kind.CONTENT, 0.2)
    similar(dice, sleeves, Kind.CONTENT, 0.3)


@pytest.mark.parametrize(
    "query, count",
    [
        # Source or target named: lantern->charger, charger->lantern,
        # lantern->dice.
        ("lantern", 3),
        # Both kinds: lantern->dice and dice->sleeves.
        ("Dice", 2),
        # Every word must match a name: "solar" alone would add lantern->dice.
        ("solar charger", 2),
        # Quotes make a phrase: no name holds "lantern solar" as written.
        ("lantern solar", 3),
        ('"lantern solar"', 0),
        ('"solar lantern"', 3),
        ("sleeves", 1),
        ("telescope", 0),
    ],
)
def test_similarity_admin_search_finds_rows_by_source_or_target_name(
    admin_client, named_rows, query, count
):
    response = admin_client.get("/admin/recommendations/similarity/", {"q": query})

    assert response.status_code == 200
    assert response.context["cl"].result_count == count


@pytest.mark.parametrize(
    "filters, count",
    [
        ({"kind": "collaborative"}, 2),
        ({"kind": "content"}, 2),
        ({"kind": "content", "q": "lantern"}, 1),
        ({"kind": "collaborative", "q": "dice"}, 0),
        ({}, 4),
    ],
)
def test_similarity_admin_filters_rows_by_kind(
    admin_client, named_rows, filters, count
):
    response = admin_client.get("/admin/recommendations/similarity/", filters)

    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.result_count == count
    assert [spec.field_path for spec in changelist.filter_specs] == ["kind"]
    if "kind" in filters:
        kinds = {row.kind for row in changelist.result_list}
        assert kinds <= {filters["kind"]}


def test_project_change_page_shows_blended_recommendations_with_components(
    admin_client, weighted
):
    p1, _, _ = weighted

    response = admin_client.get(f"/admin/projects/project/{p1.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    start = html.index("Recommendations (blended)")
    table = html[start : html.index("</table>", start)]
    assert table.index("Second") < table.index("Third")
    # Second: 0.66 blended from 0.9 and 0.1; Third: 0.38 from 0.2 and 0.8.
    for score in ["0.6600", "0.9000", "0.1000", "0.3800", "0.2000", "0.8000"]:
        assert score in table
    assert f"/admin/projects/project/{p1.pk}/recommendations/" in html


def test_project_add_page_has_no_recommendations_yet(admin_client):
    response = admin_client.get("/admin/projects/project/add/")

    assert response.status_code == 200
    assert "Shown once the project is saved." in response.content.decode()


def test_preview_shows_every_strategy(admin_client, weighted):
    p1, _, _ = weighted

    response = admin_client.get(f"/admin/projects/project/{p1.pk}/recommendations/")

    assert response.status_code == 200
    previews = {p["strategy"]: p for p in response.context["previews"]}
    assert list(previews) == ["blended", "collaborative", "content"]
    assert [r["score"] for r in previews["blended"]["rows"]] == [
        pytest.approx(0.66),
        pytest.approx(0.38),
    ]
    assert [r["project"].name for r in previews["content"]["rows"]] == [
        "Third",
        "Second",
    ]


def test_preview_is_for_staff_only(client, weighted):
    p1, _, _ = weighted

    response = client.get(f"/admin/projects/project/{p1.pk}/recommendations/")

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_blend_settings_saved_in_the_admin_apply_on_the_next_request(
    admin_client, client, weighted
):
    p1, p2, p3 = weighted
    assert [pk for pk, _ in api_ranking(client, p1)] == [p2.pk, p3.pk]

    response = admin_client.post(
        BLEND_URL, blend_form(collaborative="0.2", content="0.8")
    )

    assert response.status_code == 302
    assert BlendSettings.get_solo().weights == {"collaborative": 0.2, "content": 0.8}
    # 0.2 * 0.2 + 0.8 * 0.8 = 0.68 and 0.2 * 0.9 + 0.8 * 0.1 = 0.26
    assert api_ranking(client, p1) == [
        (p3.pk, pytest.approx(0.68)),
        (p2.pk, pytest.approx(0.26)),
    ]


def test_blend_settings_form_shows_one_weight_per_component(admin_client):
    BlendSettings.objects.create(weights={"collaborative": 0.25, "content": 0.75})

    response = admin_client.get(BLEND_URL)

    html = response.content.decode()
    assert "Collaborative weight" in html
    assert "Content weight" in html
    form = response.context["adminform"].form
    assert form["collaborative"].value() == 0.25
    assert form["content"].value() == 0.75
    assert form["recommendable_states"].value() == ["live"]


@pytest.mark.parametrize("field", ["collaborative", "content"])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-0.5", "lots"])
def test_blend_settings_refuse_a_weight_that_is_not_a_finite_number_from_0(
    admin_client, field, value
):
    BlendSettings.objects.create(weights={"collaborative": 0.6, "content": 0.4})

    response = admin_client.post(BLEND_URL, blend_form(**{field: value}))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == [field]
    assert BlendSettings.objects.get().weights == {
        "collaborative": 0.6,
        "content": 0.4,
    }


def test_blend_settings_refuse_weights_that_are_all_zero_on_the_weight_fields(
    admin_client,
):
    BlendSettings.objects.create(weights={"collaborative": 0.6, "content": 0.4})

    response = admin_client.post(BLEND_URL, blend_form(collaborative="0", content="0"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    message = "At least one weight must be greater than 0."
    assert form.errors == {"collaborative": [message], "content": [message]}
    assert form.non_field_errors() == []
    assert BlendSettings.objects.get().weights == {
        "collaborative": 0.6,
        "content": 0.4,
    }


def test_blend_settings_store_the_checked_states_in_a_fixed_order(admin_client):
    response = admin_client.post(
        BLEND_URL,
        blend_form(cold_backers="4", recommendable_states=["successful", "live"]),
    )

    assert response.status_code == 302
    blend = BlendSettings.objects.get()
    assert blend.recommendable_states == ["live", "successful"]
    assert blend.cold_backers == 4


def test_blend_settings_with_no_state_checked_recommend_any_state(admin_client):
    response = admin_client.post(BLEND_URL, blend_form(recommendable_states=[]))

    assert response.status_code == 302
    assert BlendSettings.objects.get().state_filter is None


@pytest.mark.parametrize(
    "url, method",
    [
        ("/admin/recommendations/similarity/add/", "get"),
        ("/admin/recommendations/similarity/{pk}/delete/", "get"),
        ("/admin/recommendations/similarity/{pk}/change/", "post"),
        ("/admin/recommendations/generation/add/", "get"),
    ],
)
def test_similarities_and_generations_cannot_be_edited(
    admin_client, weighted, url, method
):
    row = Similarity.objects.first()

    response = getattr(admin_client, method)(url.format(pk=row.pk), {"score": "1"})

    assert response.status_code == 403
    assert Similarity.objects.get(pk=row.pk).score == row.score


def test_similarity_change_page_is_view_only(admin_client, weighted):
    row = Similarity.objects.first()

    response = admin_client.get(f"/admin/recommendations/similarity/{row.pk}/change/")

    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


def test_similarity_list_reads_its_related_rows_in_one_query(
    admin_client, django_assert_max_num_queries, weighted
):
    p1, _, _ = weighted
    for target in ProjectFactory.create_batch(20):
        similar(p1, target, Kind.CONTENT, 0.5)
    admin_client.get("/admin/recommendations/similarity/")  # warm the session

    # Session, user, count, rows with their projects and generations.
    with django_assert_max_num_queries(6):
        response = admin_client.get("/admin/recommendations/similarity/")

    assert response.status_code == 200


def test_backing_list_reads_backers_and_projects_with_the_backings(
    admin_client, django_assert_max_num_queries
):
    BackingFactory.create_batch(20)
    admin_client.get("/admin/projects/backing/")

    with django_assert_max_num_queries(6):
        response = admin_client.get("/admin/projects/backing/")

    assert response.status_code == 200


def content_projects() -> None:
    ProjectFactory(name="Dice tower", blurb="A wooden tower to roll dice")
    ProjectFactory(name="Dice bag", blurb="A leather bag to carry dice")
    ProjectFactory(name="Cookbook", blurb="Recipes from a family kitchen")


def test_recompute_action_publishes_a_new_generation_of_the_selected_kinds(
    admin_client,
):
    content_projects()
    old = Generation.objects.create(
        kind=Kind.CONTENT, status=GenerationStatus.PUBLISHED, is_current=True
    )

    response = admin_client.post(
        "/admin/recommendations/generation/",
        {"action": "recompute_now", "_selected_action": [old.pk]},
        follow=True,
    )

    assert response.status_code == 200
    current = Generation.objects.current().get(kind=Kind.CONTENT)
    assert current.pk != old.pk
    assert current.status == GenerationStatus.PUBLISHED
    assert Similarity.objects.of_generation(current).count() == current.rows > 0
    assert not Generation.objects.filter(kind=Kind.COLLABORATIVE).exists()
    assert f"Generation {current.pk} (content) is published" in (
        response.content.decode()
    )


def test_recompute_button_starts_the_chosen_kinds(admin_client):
    content_projects()
    BackingFactory.create_batch(2, backer__key="shared")

    response = admin_client.post(
        "/admin/recommendations/generation/recompute/",
        {"kind": ["collaborative", "content"]},
    )

    assert response.status_code == 302
    assert response.url == "/admin/recommendations/generation/"
    assert set(Generation.objects.current().values_list("kind", flat=True)) == {
        "collaborative",
        "content",
    }


def test_recompute_button_says_when_the_broker_cannot_be_reached(
    admin_client, settings
):
    content_projects()

    with broker_at(UNREACHABLE_BROKER_URL, settings):
        response = admin_client.post(
            "/admin/recommendations/generation/recompute/",
            {"kind": ["content"]},
            follow=True,
        )

    assert response.status_code == 200
    generation = Generation.objects.get()
    [message] = response.context["messages"]
    assert message.level_tag == "error"
    assert str(message).startswith(
        f"Generation {generation.pk} (content) is failed: The broker at "
        "redis://127.0.0.1:6399/0 cannot be reached ("
    )
    assert str(message).endswith("); not queued.")
    assert generation.status == GenerationStatus.FAILED
    assert not Generation.objects.current().exists()


def test_recompute_needs_the_permission_to_add_generations(client):
    staff = User.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_generation"))
    client.force_login(staff)

    response = client.post(
        "/admin/recommendations/generation/recompute/", {"kind": ["content"]}
    )

    assert response.status_code == 403
    assert not Generation.objects.exists()


def test_blend_settings_refuse_more_cold_backers_than_a_database_holds(
    admin_client,
):
    BlendSettings.objects.create(cold_backers=10)

    response = admin_client.post(BLEND_URL, blend_form(cold_backers="2147483648"))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["cold_backers"]
    assert BlendSettings.objects.get().cold_backers == 10


def test_a_lone_quote_searched_among_similarities_matches_no_name(
    admin_client, weighted
):
    response = admin_client.get("/admin/recommendations/similarity/", {"q": "'"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_staff_save_a_project_whose_dump_gave_no_money_figures(admin_client):
    project = ProjectFactory(
        goal=None, pledged=None, usd_rate=None, goal_usd=None, pledged_usd=None
    )
    url = f"/admin/projects/project/{project.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    data.update(name="Renamed", launched_at_0="", launched_at_1="")
    data.update(deadline_0="2030-01-01", deadline_1="12:00:00")

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    project.refresh_from_db()
    assert project.name == "Renamed"
    assert (project.goal, project.pledged, project.usd_rate) == (None, None, None)
    assert (project.goal_usd, project.pledged_usd) == (None, None)
