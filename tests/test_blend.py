"""Blending precomputed components into one ranked list."""

import math

import pytest
from django.core.exceptions import ValidationError

from projects.models import ProjectState
from recommendations.blend import effective_weights, recommend
from recommendations.models import BlendSettings, Generation, Kind, Similarity
from tests.factories import BackingFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def publish(kind, source, scores):
    generation = Generation.objects.create(
        kind=kind, status="published", is_current=True
    )
    Similarity.objects.bulk_create(
        Similarity(generation=generation, kind=kind, source=source, target=t, score=s)
        for t, s in scores.items()
    )


def set_weights(collaborative, content, cold_backers=10):
    blend = BlendSettings.get_solo()
    blend.weights = {"collaborative": collaborative, "content": content}
    blend.cold_backers = cold_backers
    blend.save()


@pytest.mark.parametrize(
    ("backers", "expected_collaborative"),
    [
        (0, 0.0),  # no backers: content alone
        (5, 0.35 / (0.35 + 0.3)),  # half-way up the ramp
        (10, 0.7),  # at the threshold: the full weight
        (500, 0.7),
    ],
)
def test_a_cold_projects_collaborative_weight_ramps_with_its_backers(
    backers, expected_collaborative
):
    blend = BlendSettings(weights={"collaborative": 0.7, "content": 0.3})

    weights = effective_weights(blend, backers)

    assert weights["collaborative"] == pytest.approx(expected_collaborative)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_a_project_with_no_backers_and_no_content_weight_is_served_by_content():
    blend = BlendSettings(weights={"collaborative": 1.0, "content": 0.0})

    assert effective_weights(blend, 0) == {"collaborative": 0.0, "content": 1.0}


def warm_project_with_two_neighbours():
    """P1, with 10 backers, and P2 and P3 scored apart by each component:
    collaborative P2 0.9, P3 0.2; content P2 0.1, P3 0.8."""
    p1, p2, p3 = ProjectFactory.create_batch(3)
    publish(Kind.COLLABORATIVE, p1, {p2: 0.9, p3: 0.2})
    publish(Kind.CONTENT, p1, {p2: 0.1, p3: 0.8})
    BackingFactory.create_batch(10, project=p1)
    return p1, p2, p3


def test_blended_scores_follow_the_saved_weights_on_the_next_call():
    p1, p2, p3 = warm_project_with_two_neighbours()
    set_weights(0.7, 0.3)

    before = [(r.project, round(r.score, 6)) for r in recommend(p1)]
    BlendSettings.objects.update(weights={"collaborative": 0.2, "content": 0.8})
    after = [(r.project, round(r.score, 6)) for r in recommend(p1)]

    assert before == [(p2, 0.66), (p3, 0.38)]
    assert after == [(p3, 0.68), (p2, 0.26)]


def test_weights_near_the_float_limit_blend_as_their_ratio():
    p1, p2, p3 = warm_project_with_two_neighbours()
    set_weights(1e308, 1e308)

    found = [(r.project, round(r.score, 6)) for r in recommend(p1)]

    # Equal weights: the plain mean of the two components.
    assert found == [(p2, 0.5), (p3, 0.5)]
    assert effective_weights(BlendSettings.get_solo(), 10) == {
        "collaborative": 0.5,
        "content": 0.5,
    }


def test_each_result_reports_both_component_scores():
    p1, p2, p3 = ProjectFactory.create_batch(3)
    publish(Kind.COLLABORATIVE, p1, {p2: 0.9})
    publish(Kind.CONTENT, p1, {p2: 0.1, p3: 0.8})

    results = recommend(p1, strategy="collaborative")

    assert [r.project for r in results] == [p2]
    assert results[0].components == {"collaborative": 0.9, "content": 0.1}
    assert results[0].score == pytest.approx(0.9)


def test_a_cold_project_gets_its_content_neighbours():
    p1, p2 = ProjectFactory.create_batch(2)
    publish(Kind.CONTENT, p1, {p2: 0.42})

    results = recommend(p1)

    assert [(r.project, r.score) for r in results] == [(p2, pytest.approx(0.42))]


def test_targets_no_longer_recommendable_drop_out_at_once():
    p1, p2, p3, p4, p5, p6 = ProjectFactory.create_batch(6)
    publish(Kind.CONTENT, p1, {p2: 0.9, p3: 0.8, p4: 0.7, p5: 0.6, p6: 0.5})

    p2.delete()
    p3.state = ProjectState.CANCELED
    p3.save()
    p4.deadline = p4.launched_at
    p4.save()

    assert [r.project for r in recommend(p1)] == [p5, p6]
    assert [r.project for r in recommend(p1, states=None)] == [p3, p4, p5, p6]


@pytest.mark.parametrize(
    "weights",
    [
        {"collaborative": math.nan, "content": 0.3},
        {"collaborative": math.inf, "content": 0.3},
        {"collaborative": -0.5, "content": 0.3},
        {"collaborative": 0.0, "content": 0.0},
        {"collaborative": "0.5", "content": 0.3},
    ],
)
def test_unusable_weights_are_refused_and_the_stored_ones_kept(weights):
    set_weights(0.7, 0.3)
    blend = BlendSettings.get_solo()
    blend.weights = weights

    with pytest.raises(ValidationError):
        blend.save()

    assert BlendSettings.get_solo().weights == {"collaborative": 0.7, "content": 0.3}
