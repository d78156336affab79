"""The database refuses similarity rows that no recompute should write."""

import math

import pytest
from django.db import IntegrityError, transaction

from recommendations.models import Generation, GenerationStatus, Kind, Similarity
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def generation() -> Generation:
    return Generation.objects.create(kind=Kind.CONTENT, status=GenerationStatus.RUNNING)


def store(generation: Generation, source, target, score: float) -> Similarity:
    return Similarity.objects.create(
        generation=generation,
        kind=generation.kind,
        source=source,
        target=target,
        score=score,
    )


@pytest.mark.parametrize("score", [0.0, 0.5, 1.0])
def test_a_score_from_0_to_1_is_stored(generation, score):
    source, target = ProjectFactory.create_batch(2)

    store(generation, source, target, score)

    assert Similarity.objects.get().score == score


@pytest.mark.parametrize("score", [1.5, -0.1, 1.000001, math.inf, math.nan])
def test_a_score_outside_0_to_1_is_refused(generation, score):
    source, target = ProjectFactory.create_batch(2)

    with transaction.atomic(), pytest.raises(IntegrityError):
        store(generation, source, target, score)

    assert not Similarity.objects.exists()


def test_a_project_is_not_similar_to_itself(generation):
    project = ProjectFactory()

    with transaction.atomic(), pytest.raises(IntegrityError):
        store(generation, project, project, 0.5)

    assert not Similarity.objects.exists()


def test_a_pair_is_stored_once_per_generation(generation):
    source, target = ProjectFactory.create_batch(2)
    store(generation, source, target, 0.5)

    with transaction.atomic(), pytest.raises(IntegrityError):
        store(generation, source, target, 0.7)

    assert list(Similarity.objects.values_list("score", flat=True)) == [0.5]


def test_the_same_pair_may_appear_in_another_generation(generation):
    source, target = ProjectFactory.create_batch(2)
    other = Generation.objects.create(kind=Kind.CONTENT)
    store(generation, source, target, 0.5)

    store(other, source, target, 0.7)

    assert Similarity.objects.filter(source=source, target=target).count() == 2


def test_a_kind_has_one_current_generation():
    Generation.objects.create(kind=Kind.CONTENT, is_current=True)
    Generation.objects.create(kind=Kind.COLLABORATIVE, is_current=True)

    with transaction.atomic(), pytest.raises(IntegrityError):
        Generation.objects.create(kind=Kind.CONTENT, is_current=True)

    assert Generation.objects.current().count() == 2
