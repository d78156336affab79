import re
from datetime import timedelta
from decimal import Decimal

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
from tests.factories import ProjectFactory, deadline_in

pytestmark = pytest.mark.django_db

PROJECT_LINK = re.compile(r'href="/projects/(\d+)/"')


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


def widget(html: str) -> str:
    """The "you might also like" section of a page."""
    start = html.index('class="panel recommendations"')
    return html[start : html.index("</section>", start)]


def linked_ids(html: str) -> list[int]:
    return [int(pk) for pk in PROJECT_LINK.findall(html)]


def test_project_list_shows_cards_in_three_queries(
    client, django_assert_max_num_queries
):
    ProjectFactory(name="Dice Tower", category="Games", pledged=Decimal("1500"))

    # The count, the page of projects, the categories of the filter menu.
    with django_assert_max_num_queries(3):
        response = client.get("/projects/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Dice Tower" in html
    assert "Games" in html
    assert "Live" in html
    assert "150% funded" in html


def test_project_list_pages_keep_the_search(client):
    ProjectFactory.create_batch(25, category="Games")

    first = client.get("/projects/", {"q": "games"})
    second = client.get("/projects/", {"q": "games", "page": 2})

    assert len(first.context["projects"]) == 24
    assert "?q=games&amp;page=2" in first.content.decode()
    assert len(second.context["projects"]) == 1


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Grandma's", ["Grandma's Cookbook"]),
        ("' OR 1=1 --", []),
        ("food", ["Grandma's Cookbook"]),
        ("", ["Dice Tower", "Grandma's Cookbook"]),
    ],
)
def test_search_finds_projects_by_name_or_category(client, query, expected):
    ProjectFactory(name="Grandma's Cookbook", category="Food")
    ProjectFactory(name="Dice Tower", category="Games")

    response = client.get("/projects/", {"q": query})

    assert response.status_code == 200
    assert sorted(p.name for p in response.context["projects"]) == expected


def test_search_text_is_escaped_on_the_page(client):
    response = client.get("/projects/", {"q": "<script>alert(1)</script>"})

    assert "<script>alert(1)" not in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode()


def test_project_list_filters_by_category_and_state(client):
    wanted = ProjectFactory(category="Food")
    ProjectFactory(category="Food", state=ProjectState.SUCCESSFUL)
    # Live in name only: its deadline passed, or was never known.
    ProjectFactory(category="Food", deadline=timezone.now() - timedelta(days=1))
    ProjectFactory(category="Food", deadline=None)
    ProjectFactory(category="Games")

    response = client.get("/projects/", {"category": "Food", "state": "live"})

    assert list(response.context["projects"]) == [wanted]


def test_project_page_shows_the_project(client):
    project = ProjectFactory(
        name="Dice Tower",
        creator_name="Ada Lovelace",
        category="Games",
        subcategory="Tabletop Games",
        blurb="A tower that rolls your dice.",
        goal=Decimal("10000"),
        pledged=Decimal("12345"),
        currency="EUR",
        backers_count=321,
        deadline=timezone.now() + timedelta(days=12, hours=1),
    )

    response = client.get(f"/projects/{project.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Dice Tower",
        "Ada Lovelace",
        "Games",
        "Tabletop Games",
        "A tower that rolls your dice.",
        "10,000 EUR",
        "12,345 EUR",
        "123%",
        "321",
        "Live",
        "Days left</dt><dd>12<",
    ]:
        assert text in html, text


def test_project_page_links_to_http_sources_only(client):
    safe = ProjectFactory(url="https://example.com/p/1")
    unsafe = ProjectFactory(url="javascript:alert(1)")

    assert (
        "https://example.com/p/1"
        in client.get(f"/projects/{safe.pk}/").content.decode()
    )
    assert "javascript:" not in client.get(f"/projects/{unsafe.pk}/").content.decode()


def test_project_page_shows_blended_recommendations_best_first(
    client, django_assert_max_num_queries
):
    source, first, second = ProjectFactory.create_batch(3)
    BlendSettings.get_solo()
    similar(source, second, Kind.CONTENT, 0.3)
    similar(source, first, Kind.CONTENT, 0.6)

    # The project, then the blend: settings, backing count, similarities,
    # the projects kept.
    with django_assert_max_num_queries(5):
        response = client.get(f"/projects/{source.pk}/")

    section = widget(response.content.decode())
    assert "You might also like" in section
    assert linked_ids(section) == [first.pk, second.pk]
    assert first.name in section
    assert "25% funded" in section
    assert "days left" in section


def test_project_page_shows_at_most_8_recommendations_each_linking_to_a_page(
    client,
):
    source, *neighbours = ProjectFactory.create_batch(11)
    for rank, neighbour in enumerate(neighbours):
        similar(source, neighbour, Kind.CONTENT, 0.95 - rank / 20)

    response = client.get(f"/projects/{source.pk}/")

    assert response.status_code == 200
    section = widget(response.content.decode())
    # Ten neighbours scored 0.95 down to 0.5: the best eight, best first.
    assert linked_ids(section) == [p.pk for p in neighbours[:8]]
    assert section.count('<li class="card">') == 8
    for pk in linked_ids(section):
        assert client.get(f"/projects/{pk}/").status_code == 200


def test_project_page_recommends_only_projects_that_can_still_be_backed(client):
    p1, *neighbours = ProjectFactory.create_batch(6)
    for rank, neighbour in enumerate(neighbours):
        similar(p1, neighbour, Kind.CONTENT, 0.9 - rank / 10)
    p2, p3, p4, p5, p6 = neighbours
    p2.delete()
    Project.objects.filter(pk=p3.pk).update(state=ProjectState.CANCELED)
    Project.objects.filter(pk=p4.pk).update(
        deadline=timezone.now() - timedelta(hours=1)
    )

    response = client.get(f"/projects/{p1.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert linked_ids(widget(html)) == [p5.pk, p6.pk]
    for pk in set(linked_ids(html)):
        assert client.get(f"/projects/{pk}/").status_code == 200


def test_project_page_follows_the_latest_blend_weights(client):
    p1, p2, p3 = ProjectFactory.create_batch(3)
    similar(p1, p2, Kind.COLLABORATIVE, 0.9)
    similar(p1, p3, Kind.COLLABORATIVE, 0.2)
    similar(p1, p2, Kind.CONTENT, 0.1)
    similar(p1, p3, Kind.CONTENT, 0.8)
    blend = BlendSettings.get_solo()
    blend.cold_backers = 0
    blend.save()
    assert linked_ids(widget(client.get(f"/projects/{p1.pk}/").content.decode())) == [
        p2.pk,
        p3.pk,
    ]

    blend.weights = {"collaborative": 0.2, "content": 0.8}
    blend.save()

    html = client.get(f"/projects/{p1.pk}/").content.decode()
    assert linked_ids(widget(html)) == [p3.pk, p2.pk]


EMPTY_WIDGET = "No projects to recommend here right now."


def test_a_project_without_similarities_has_an_empty_widget(client):
    lonely = ProjectFactory()

    response = client.get(f"/projects/{lonely.pk}/")

    assert response.status_code == 200
    assert EMPTY_WIDGET in widget(response.content.decode())


def test_a_widget_whose_neighbours_have_all_ended_says_nothing_to_recommend_now(
    client,
):
    source, ended, canceled = ProjectFactory.create_batch(3)
    similar(source, ended, Kind.CONTENT, 0.8)
    similar(source, canceled, Kind.CONTENT, 0.6)
    Project.objects.filter(pk=ended.pk).update(
        deadline=timezone.now() - timedelta(days=1)
    )
    Project.objects.filter(pk=canceled.pk).update(state=ProjectState.CANCELED)

    page = client.get(f"/projects/{source.pk}/").content.decode()
    frame = client.get(f"/projects/{source.pk}/recommendations/frame/")

    assert linked_ids(widget(page)) == []
    assert EMPTY_WIDGET in widget(page)
    assert EMPTY_WIDGET in frame.content.decode()
    assert "yet" not in widget(page)


LIVE_BADGE = '<span class="badge live">Live</span>'
ENDED_BADGE = '<span class="badge ended">Ended</span>'


def test_a_live_project_past_its_deadline_is_shown_as_ended(client):
    ended = ProjectFactory(
        name="Late Lamp", deadline=timezone.now() - timedelta(hours=1)
    )

    detail = client.get(f"/projects/{ended.pk}/").content.decode()
    listing = client.get("/projects/").content.decode()

    assert ENDED_BADGE in detail
    assert LIVE_BADGE not in detail
    assert ENDED_BADGE in listing
    assert LIVE_BADGE not in listing
    assert Project.objects.get(pk=ended.pk).state == ProjectState.LIVE


@pytest.mark.parametrize(
    "state, deadline_days, badge",
    [
        (ProjectState.LIVE, 3, LIVE_BADGE),
        (ProjectState.LIVE, -3, ENDED_BADGE),
        (ProjectState.LIVE, None, ENDED_BADGE),
        (
            ProjectState.SUCCESSFUL,
            -3,
            '<span class="badge successful">Successful</span>',
        ),
        (ProjectState.CANCELED, 3, '<span class="badge canceled">Canceled</span>'),
    ],
)
def test_the_state_badge_says_live_only_while_a_project_can_be_backed(
    client, state, deadline_days, badge
):
    project = ProjectFactory(state=state, deadline=deadline_in(deadline_days))

    html = client.get(f"/projects/{project.pk}/").content.decode()

    assert badge in html
    assert html.count('class="badge ') == 1


@pytest.mark.parametrize(
    "path",
    [
        "/projects/999999/",
        "/projects/1%20OR%201=1/",
        "/projects/1 OR 1=1/",
        "/projects/999999/recommendations/frame/",
    ],
)
def test_unknown_project_pages_are_not_found(client, path):
    ProjectFactory()

    assert client.get(path).status_code == 404


def test_frame_renders_the_widget_and_may_be_embedded(client):
    source, neighbour = ProjectFactory.create_batch(2)
    similar(source, neighbour, Kind.CONTENT, 0.5)

    response = client.get(f"/projects/{source.pk}/recommendations/frame/")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    html = response.content.decode()
    assert neighbour.name in html
    assert f'href="/projects/{neighbour.pk}/" target="_top"' in html
    assert "<header" not in html


def test_other_pages_still_refuse_to_be_framed(client):
    project = ProjectFactory()

    response = client.get(f"/projects/{project.pk}/")

    assert response.headers["X-Frame-Options"] == "DENY"


def test_project_page_offers_the_embed_code(client):
    project = ProjectFactory()

    html = client.get(f"/projects/{project.pk}/").content.decode()

    frame_url = f"http://testserver/projects/{project.pk}/recommendations/frame/"
    assert f'&lt;iframe src="{frame_url}"' in html


def test_projects_without_a_launch_date_are_listed_after_the_dated_ones(client):
    undated = ProjectFactory(name="Undated", launched_at=None)
    older = ProjectFactory(name="Older", launched_at=timezone.now() - timedelta(9))
    newer = ProjectFactory(name="Newer", launched_at=timezone.now() - timedelta(1))

    response = client.get("/projects/")

    assert list(response.context["projects"]) == [newer, older, undated]
