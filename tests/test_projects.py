"""Which projects can still be backed, as pages and the blend ask it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from projects.models import Project, ProjectState, recommendable_condition
from recommendations.models import Generation, Kind, Similarity
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("state", "deadline_in", "is_open"),
    [
        (ProjectState.LIVE, DAY, True),
        (ProjectState.LIVE, -DAY, False),  # the deadline passed
        (ProjectState.LIVE, None, False),  # an old dump's, never known
        (ProjectState.SUCCESSFUL, DAY, False),
        (ProjectState.UNKNOWN, None, False),
    ],
)
def test_a_project_is_open_for_backing_only_when_live_before_a_known_deadline(
    state, deadline_in, is_open
):
    deadline = timezone.now() + deadline_in if deadline_in is not None else None
    project = ProjectFactory(state=state, deadline=deadline)

    assert project.is_open_for_backing is is_open
    assert Project.objects.open_for_backing().filter(pk=project.pk).exists() is is_open
    recommendable = Project.objects.filter(recommendable_condition([ProjectState.LIVE]))
    assert recommendable.filter(pk=project.pk).exists() is is_open


def test_recommendable_states_add_ended_projects_to_the_open_ones():
    open_now = ProjectFactory(deadline=timezone.now() + DAY)
    ProjectFactory(deadline=None)
    successful = ProjectFactory(state=ProjectState.SUCCESSFUL, deadline=None)
    ProjectFactory(state=ProjectState.FAILED)
    source = ProjectFactory(state=ProjectState.FAILED)
    generation = Generation.objects.create(kind=Kind.CONTENT)
    Similarity.objects.bulk_create(
        Similarity(
            generation=generation, kind=Kind.CONTENT, source=source, target=t, score=0.5
        )
        for t in Project.objects.exclude(pk=source.pk)
    )

    condition = recommendable_condition([ProjectState.LIVE, ProjectState.SUCCESSFUL])

    assert set(Project.objects.filter(condition)) == {open_now, successful}
    # Through a relation, as the blend filters its rows' targets.
    similar = Similarity.objects.filter(
        recommendable_condition(
            [ProjectState.LIVE, ProjectState.SUCCESSFUL], "target__"
        )
    )
    assert {row.target for row in similar} == {open_now, successful}
