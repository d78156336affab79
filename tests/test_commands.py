"""Management commands that set up a site."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from recommendations.models import BlendSettings

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
