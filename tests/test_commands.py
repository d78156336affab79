"""Management commands that set up a site."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from recommendations import tasks
from recommendations.models import (
    BlendSettings,
    Generation,
    GenerationStatus,
    Similarity,
)
from tests.factories import BackerFactory, BackingFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_ensure_superuser_creates_a_staff_login_once(monkeypatch, capsys):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "s3cret-pass")

    call_command("ensure_superuser", "admin")
    call_command("ensure_superuser", "admin")

    user = get_user_model().objects.get(username="admin")
    assert user.is_staff and user.is_superuser
    assert user.check_password("s3cret-pass")
    assert "exists" in capsys.readouterr().out


def test_ensure_superuser_needs_a_password(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)

    with pytest.raises(CommandError, match="DJANGO_SUPERUSER_PASSWORD"):
        call_command("ensure_superuser", "admin")

    assert not get_user_model().objects.exists()


def test_configure_blend_changes_states_and_weights():
    out = StringIO()
    call_command(
        "configure_blend",
        "--weights",
        "collaborative=0.2,content=0.8",
        "--states",
        "any",
        "--cold-backers",
        "3",
        stdout=out,
    )

    assert out.getvalue().strip() == (
        "weights collaborative=0.2, content=0.8; cold below 3 backers; "
        "recommendable states: any"
    )

    blend = BlendSettings.get_solo()
    assert blend.weights == {"collaborative": 0.2, "content": 0.8}
    assert blend.recommendable_states == []
    assert blend.cold_backers == 3


@pytest.mark.parametrize(
    "arguments",
    [
        ["--weights", "collaborative=nan"],
        ["--weights", "collaborative=-1"],
        ["--weights", "collaborative=0,content=0"],
        ["--weights", "collaborative"],
        ["--states", "live,sold-out"],
    ],
)
def test_configure_blend_refuses_bad_values_and_changes_nothing(arguments):
    before = BlendSettings.get_solo()

    with pytest.raises(CommandError):
        call_command("configure_blend", *arguments)

    after = BlendSettings.get_solo()
    assert after.weights == before.weights
    assert after.recommendable_states == before.recommendable_states


@pytest.fixture
def catalogue():
    """Two solar kits backed by one backer, and dice nobody backed."""
    lantern = ProjectFactory(name="solar lantern kit", blurb="", category="")
    charger = ProjectFactory(name="solar charger kit", blurb="", category="")
    ProjectFactory(name="board game dice", blurb="", category="")
    backer = BackerFactory(key="b1")
    BackingFactory(backer=backer, project=lantern, amount=Decimal("10"))
    BackingFactory(backer=backer, project=charger, amount=Decimal("30"))
    return lantern, charger


def current_targets(kind: str, source) -> list[tuple[int, float]]:
    rows = Similarity.objects.current().filter(kind=kind, source=source)
    return [(r.target_id, r.score) for r in rows.order_by("-score", "target_id")]


@pytest.mark.parametrize(
    "kind, other", [("collaborative", "content"), ("content", "collaborative")]
)
def test_recompute_similarities_of_one_kind_publishes_that_kind_only(
    catalogue, kind, other
):
    lantern, charger = catalogue
    out = StringIO()

    call_command("recompute_similarities", "--kind", kind, stdout=out)

    generation = Generation.objects.get()
    assert out.getvalue().startswith(f"{kind}: generation {generation.pk} published")
    assert generation.kind == kind
    assert generation.status == GenerationStatus.PUBLISHED
    assert generation.is_current
    assert current_targets(kind, lantern)[0][0] == charger.pk
    assert not Generation.objects.filter(kind=other).exists()
    assert not Similarity.objects.filter(kind=other).exists()


def test_recompute_similarities_refuses_an_unknown_kind_and_names_the_choices():
    with pytest.raises(CommandError) as refused:
        call_command("recompute_similarities", "--kind", "popular")

    message = str(refused.value)
    assert "--kind" in message
    assert "popular" in message
    for choice in ["collaborative", "content", "all"]:
        assert choice in message
    assert not Generation.objects.exists()


def test_recompute_similarities_with_queue_publishes_both_kinds_through_tasks(
    catalogue,
):
    lantern, charger = catalogue
    out = StringIO()

    call_command("recompute_similarities", "--queue", stdout=out)

    generations = {g.kind: g for g in Generation.objects.all()}
    assert out.getvalue().splitlines() == [
        f"collaborative: queued generation {generations['collaborative'].pk}",
        f"content: queued generation {generations['content'].pk}",
    ]
    assert set(generations) == {"collaborative", "content"}
    for kind, generation in generations.items():
        assert generation.status == GenerationStatus.PUBLISHED
        assert generation.is_current
        assert current_targets(kind, lantern)[0][0] == charger.pk


def test_the_recompute_all_task_publishes_one_generation_of_each_kind(catalogue):
    lantern, charger = catalogue

    generation_ids = tasks.recompute_all.delay().get()

    generations = Generation.objects.order_by("pk")
    assert list(generations.values_list("pk", flat=True)) == generation_ids
    assert [(g.kind, g.status, g.is_current) for g in generations] == [
        ("collaborative", GenerationStatus.PUBLISHED, True),
        ("content", GenerationStatus.PUBLISHED, True),
    ]
    assert current_targets("collaborative", lantern) == [
        (charger.pk, pytest.approx(1.0))
    ]
