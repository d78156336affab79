"""Factories for test data."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from projects.models import Backer, Backing, BackingState, Project, ProjectState


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    key = factory.Sequence(lambda n: f"creator-{n}/project-{n}")
    name = factory.Sequence(lambda n: f"Project {n}")
    blurb = "A project that needs your support."
    category = "Games"
    creator_name = factory.Sequence(lambda n: f"Creator {n}")
    currency = "USD"
    goal = Decimal("1000")
    pledged = Decimal("250")
    state = ProjectState.LIVE
    launched_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=5))
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=25))


class BackerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Backer
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"backer-{n}")


class BackingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Backing

    backer = factory.SubFactory(BackerFactory)
    project = factory.SubFactory(ProjectFactory)
    amount = Decimal("25")
    state = BackingState.COLLECTED


def deadline_in(days: int | None):
    """A deadline `days` from now (in the past when negative), or None."""
    return None if days is None else timezone.now() + timedelta(days=days)
