"""Management commands that set up a site."""

import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from projects.models import Project
from recommendations import services, tasks
from recommendations.models import (
    BlendSettings,
    Generation,
    GenerationStatus,
    Similarity,
)
from tests.brokers import UNREACHABLE_BROKER_URL, broker_at
from tests.factories import BackerFactory, BackingFactory, ProjectFactory
from tests.test_worker import worker_database_url

ROOT = Path(__file__).resolve().parent.parent

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


def blend_row() -> tuple:
    blend = BlendSettings.get_solo()
    return (
        blend.weights,
        blend.recommendable_states,
        blend.cold_backers,
        blend.updated_at,
    )


@pytest.mark.parametrize("cold_backers", ["-1", "99999999999999999999"])
def test_configure_blend_refuses_cold_backers_out_of_range_and_names_the_range(
    cold_backers,
):
    before = blend_row()

    with pytest.raises(CommandError) as refused:
        call_command(
            "configure_blend",
            "--weights",
            "collaborative=0.5",
            "--cold-backers",
            cold_backers,
        )

    assert str(refused.value) == (
        f"--cold-backers must be from 0 to 2147483647, not {cold_backers}."
    )
    assert blend_row() == before


def test_configure_blend_takes_the_largest_cold_backers_every_database_holds():
    call_command("configure_blend", "--cold-backers", "2147483647", stdout=StringIO())

    assert BlendSettings.get_solo().cold_backers == 2**31 - 1


def test_configure_blend_help_says_what_cold_backers_means(capsys):
    with pytest.raises(SystemExit):
        call_command("configure_blend", "--help")

    help_text = " ".join(capsys.readouterr().out.split())
    assert "--cold-backers N Projects with fewer active backers" in help_text
    assert "to 2147483647" in help_text


@pytest.mark.parametrize(
    "weights, lines",
    [
        (
            "collaborative=inf",
            ["collaborative: The collaborative weight must be a finite number."],
        ),
        (
            "collaborative=0,content=0",
            [
                "collaborative: At least one weight must be greater than 0.",
                "content: At least one weight must be greater than 0.",
            ],
        ),
    ],
)
def test_configure_blend_gives_each_refusal_its_own_line_after_its_field(
    weights, lines
):
    before = blend_row()

    with pytest.raises(CommandError) as refused:
        call_command("configure_blend", "--weights", weights)

    assert str(refused.value).splitlines() == ["Blend settings not changed:", *lines]
    assert blend_row() == before


def test_configure_blend_names_unknown_states_and_lists_the_valid_ones():
    before = blend_row()

    with pytest.raises(CommandError) as refused:
        call_command("configure_blend", "--states", "live,bogus,sold-out")

    assert str(refused.value) == (
        '--states: Unknown states "bogus", "sold-out"; use a comma-separated '
        "list of live, successful, failed, canceled, suspended, unknown, or "
        '"any" alone.'
    )
    assert blend_row() == before


def test_configure_blend_refuses_any_in_a_list_of_states():
    before = blend_row()

    with pytest.raises(CommandError, match='"any" means every state and must be'):
        call_command("configure_blend", "--states", "any,live")

    assert blend_row() == before


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


def test_recompute_similarities_with_an_unreachable_broker_queues_nothing(
    catalogue, settings
):
    out = StringIO()

    with (
        broker_at(UNREACHABLE_BROKER_URL, settings),
        pytest.raises(CommandError) as refused,
    ):
        call_command("recompute_similarities", "--queue", stdout=out)

    message = str(refused.value)
    assert message.startswith(
        "The broker at redis://127.0.0.1:6399/0 cannot be reached ("
    )
    assert message.endswith("); nothing was queued.")
    assert out.getvalue() == ""
    generation = Generation.objects.get()
    assert generation.kind == "collaborative"
    assert generation.status == GenerationStatus.FAILED
    assert generation.message.startswith(
        "The broker at redis://127.0.0.1:6399/0 cannot be reached ("
    )
    assert generation.message.endswith("); not queued.")
    assert generation.finished_at is not None
    assert services.start_generation("collaborative").pk != generation.pk


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A broker address that takes connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def manage(*arguments: str, **environment: str) -> subprocess.Popen:
    """Start manage.py on the test database, its output piped."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER"}
    }
    env.update(DATABASE_URL=worker_database_url(), **environment)
    return subprocess.Popen(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_queuing_on_a_broker_that_never_answers_gives_up_in_seconds(
    silent_broker,
):
    started = time.monotonic()

    process = manage(
        "recompute_similarities",
        "--queue",
        "--kind",
        "content",
        CELERY_BROKER_URL=silent_broker,
    )
    _, stderr = process.communicate(timeout=60)

    # Two tries of two seconds each, plus starting Django.
    assert time.monotonic() - started < 20
    assert process.returncode == 1
    assert f"CommandError: The broker at {silent_broker} cannot be reached" in stderr
    assert "nothing was queued." in stderr
    assert "Traceback" not in stderr
    assert Generation.objects.get().status == GenerationStatus.FAILED


def write_projects_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["key", "name", "blurb"])
        for n in range(rows):
            writer.writerow([f"maker-{n}/kit-{n}", f"Kit {n}", "A kit to build."])


def bytes_read(pid: int, path: Path) -> int:
    """How far process `pid` has read into `path`; -1 until it opens it."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return -1  # the process has ended
    for fd in fds:
        try:
            if Path(os.readlink(fd)) == path:
                info = Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text()
                return int(info.split("pos:", 1)[1].split()[0])
        except OSError:
            continue  # closed while we looked
    return -1


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs /proc")
@pytest.mark.django_db(transaction=True)
def test_ctrl_c_during_an_import_says_nothing_was_imported(tmp_path):
    ProjectFactory()
    path = (tmp_path / "projects.csv").resolve()
    # About half a minute of work, so that it is still running when stopped.
    write_projects_csv(path, 200_000)
    process = manage("import_projects", str(path))

    # Past the first batches of 2000 rows (about 40 bytes each): some rows
    # are already written, inside the import's transaction.
    deadline = time.monotonic() + 30
    while bytes_read(process.pid, path) < 300_000:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130
    assert stderr.strip().splitlines()[-1] == (
        f"CommandError: Interrupted: nothing of {path} was imported."
    )
    assert "Traceback" not in stderr
    assert Project.objects.count() == 1
