"""Time kickrec's precomputed recommendations beside the per-request SQL.

Run from the repository root: `.venv/bin/python bench/serve.py --size S`.
Data go into a throwaway test database on the server DATABASE_URL names
(SQLite by default), dropped at the end. Both similarities are recomputed
as users run them; then each sampled page view is served by the SQL join
of the system kickrec replaced and by kickrec's read of its index.
"""

# Django is set up before the models are imported.
# ruff: noqa: E402

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

# Run by path, so bench/ is on sys.path: run.py is the kernel benchmark,
# whose sizes and machine header are reused, and which puts the
# repository root on sys.path for the imports below.
import run as kernel_bench

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kickrec.settings")
# Production serves with DEBUG off; with it on, Django also keeps every
# query's text in memory, and that work would be timed too.
os.environ["DEBUG"] = "false"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.models import Backer, Backing, BackingState, Project, ProjectState
from recommendations import blend, services
from recommendations.models import BlendSettings, Kind

SIZES = kernel_bench.SIZES
SEED = 20240601  # bench/run.py's default, so both draw the same catalogue
BATCH = 10_000
MONTH = timedelta(days=30)
LIMIT = 8  # recommendations on a project page
SCORE_TOLERANCE = 1e-9
STATS = ("median ms", "p95 ms", "max ms")
M_WARNING = (
    "size M is slow: its 5M backings go in through the ORM, and its 5M "
    "similarity rows are written by the recompute (a quarter of an hour or "
    "so on two cores)."
)

# The query the replaced system ran on every page view (the one
# tests/test_recompute.py checks kickrec against), with a LIMIT added: 50
# is as many as kickrec keeps. Its magnitudes come from a per-project
# table filled before the timing, as that system kept them, so that the
# baseline pays only for the join it made on every request.
STATS_TABLE = """
    create table bench_stats as
    select project_id as project, sqrt(sum(amount * amount)) as magnitude
    from projects_backing
    where state not in ('refunded', 'cancelled', 'dropped') and amount > 0
    group by project_id
"""
STATS_INDEX = "create unique index bench_stats_project on bench_stats (project)"
BASELINE_SQL = """
    select sum(b1.amount * b2.amount) / s1.magnitude / s2.magnitude as score,
           p2.id
    from projects_backing b1 join projects_backing b2
        on b1.backer_id = b2.backer_id
    join bench_stats s1 on s1.project = b1.project_id
    join bench_stats s2 on s2.project = b2.project_id
    join projects_project p2 on p2.id = b2.project_id
    where b1.project_id = %s and b2.project_id <> b1.project_id
        and b1.state not in ('refunded', 'cancelled', 'dropped') and b1.amount > 0
        and b2.state not in ('refunded', 'cancelled', 'dropped') and b2.amount > 0
    group by p2.id, s1.magnitude, s2.magnitude
    order by score desc
    limit 50
"""


def load(catalogue: kernel_bench.Catalogue) -> dict[str, float]:
    """Insert the catalogue; return the seconds each table took."""
    # Ids are indices + 1, so backings need not look up the ids given.
    # Every project is open for backing for a month: all may be recommended
    # under the default blend settings, as the baseline knows no states.
    live = {"state": ProjectState.LIVE, "deadline": timezone.now() + MONTH}
    projects = (
        Project(id=i + 1, key=f"bench-{i}", **live, **vars(text))
        for i, text in enumerate(catalogue.texts)
    )
    backers = (Backer(id=i + 1, key=f"bench-{i}") for i in range(catalogue.backers))
    columns = zip(
        catalogue.backer.tolist(),
        catalogue.project.tolist(),
        catalogue.amount.astype(np.int64).tolist(),
        strict=True,
    )
    backings = (
        Backing(
            backer_id=b + 1,
            project_id=p + 1,
            amount=Decimal(a),
            state=BackingState.COLLECTED,
        )
        for b, p, a in columns
    )
    return {
        "projects": _insert(Project, projects),
        "backers": _insert(Backer, backers),
        "backings": _insert(Backing, backings),
    }


def _insert(model: type[models.Model], rows: Iterator[models.Model]) -> float:
    started = time.perf_counter()
    # One chunk of instances in memory at a time; one transaction, so
    # SQLite does not sync after every statement.
    with transaction.atomic():
        while chunk := list(itertools.islice(rows, BATCH)):
            model._default_manager.bulk_create(chunk, batch_size=BATCH)
    return time.perf_counter() - started


def recompute() -> dict[str, dict[str, float]]:
    """Run both generations as users do; return seconds and rows of each."""
    figures = {}
    for kind in (Kind.COLLABORATIVE, Kind.CONTENT):
        started = time.perf_counter()
        generation = services.start_generation(kind)
        generation = services.run_generation(generation.pk)
        seconds = time.perf_counter() - started
        figures[str(kind)] = {"seconds": seconds, "rows": generation.rows}

    with connection.cursor() as cursor:
        cursor.execute(STATS_TABLE)
        cursor.execute(STATS_INDEX)
        # Autovacuum would analyze the new rows within minutes; analyzing
        # now gives the planner the statistics a live site has.
        cursor.execute("analyze")
    return figures


def sample(catalogue: kernel_bench.Catalogue, requests: int, seed: int) -> list[int]:
    """Return source project ids: half uniform, half weighted by backings."""
    rng = np.random.default_rng([seed, 1])
    counts = np.bincount(catalogue.project, minlength=len(catalogue.texts))
    backed = np.flatnonzero(counts)
    weights = counts[backed] / counts[backed].sum()

    uniform = rng.choice(backed, size=requests // 2)
    popular = rng.choice(backed, size=requests - requests // 2, p=weights)
    picks = np.concatenate([uniform, popular])
    rng.shuffle(picks)
    return [int(pk) + 1 for pk in picks]


# A reader serves one page view's recommendations and returns their scores.
Reader = Callable[[Project], list[float]]
BASELINE = "baseline SQL join (limit 50)"
COLLABORATIVE = f"kickrec collaborative top {LIMIT}"
BLENDED = f"kickrec blended top {LIMIT}"


def baseline(project: Project) -> list[float]:
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, [project.pk])
        return [float(score) for score, _ in cursor.fetchall()]


def kickrec(strategy: str) -> Reader:
    def read(project: Project) -> list[float]:
        found = blend.recommend(project, strategy=strategy, limit=LIMIT)
        return [r.score for r in found]

    return read


READERS: dict[str, Reader] = {
    BASELINE: baseline,
    COLLABORATIVE: kickrec(Kind.COLLABORATIVE),
    BLENDED: kickrec(blend.BLENDED),
}


def serve(sources: list[int]) -> dict[str, Any]:
    """Warm up with every request, then time each; return the figures."""
    projects = Project.objects.in_bulk(set(sources))
    pages = [projects[pk] for pk in sources]
    BlendSettings.get_solo()  # created on first use; a live site has it
    # The warm-up pass also counts queries and checks agreement: counting
    # turns on Django's debug cursor, which must not be timed.
    queries, agreement = warm_up(pages)

    # Readers take turns on each page, so a burst of load from elsewhere
    # on the machine falls on all alike; the turns rotate, as the reader
    # after the baseline finds the CPU caches full of the baseline's data.
    ms: dict[str, list[float]] = {name: [] for name in READERS}
    names = list(READERS)
    for i, page in enumerate(pages):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            started = time.perf_counter()
            READERS[name](page)
            ms[name].append((time.perf_counter() - started) * 1000)

    readers = {
        name: {"queries": queries[name], **_summary(ms[name])} for name in READERS
    }
    return {
        "requests": len(pages),
        "distinct projects": len(projects),
        "readers": readers,
        "agreement": agreement,
    }


def warm_up(pages: list[Project]) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Serve every page once; return query counts and the agreement check."""
    counts: dict[str, set[int]] = {name: set() for name in READERS}
    agree = empty = 0
    for page in pages:
        scores = {}
        for name, read in READERS.items():
            with CaptureQueriesContext(connection) as captured:
                scores[name] = read(page)
            counts[name].add(len(captured))
        agree += _same_scores(scores[BASELINE][:LIMIT], scores[COLLABORATIVE])
        empty += not scores[BASELINE]

    queries = {name: sorted(c) for name, c in counts.items()}
    return queries, {"requests": len(pages), "agree": agree, "empty": empty}


def _same_scores(expected: list[float], found: list[float]) -> bool:
    # Tied targets may come in either order, so scores are compared.
    if len(expected) != len(found):
        return False
    pairs = zip(sorted(expected), sorted(found), strict=True)
    return all(abs(a - b) <= SCORE_TOLERANCE for a, b in pairs)


def _summary(ms: list[float]) -> dict[str, float]:
    values = np.percentile(ms, [50, 95, 100])
    return dict(zip(STATS, values.tolist(), strict=True))


def print_data(
    name: str, catalogue: kernel_bench.Catalogue, seconds: dict[str, float]
) -> None:
    size, backed = SIZES[name], len(np.unique(catalogue.project))
    print(
        f"size {name}: {size.projects:,} projects, {size.backers:,} backers, "
        f"{len(catalogue.project):,} backings ({size.backings:,} asked, "
        f"repeated pairs dropped), {backed:,} projects backed"
    )
    tables = ", ".join(f"{table} {s:.1f}" for table, s in seconds.items())
    print(f"load, for context: {sum(seconds.values()):.1f} s ({tables})")


def print_recompute(figures: dict[str, dict[str, float]]) -> None:
    print("recompute (start_generation + run_generation: read, compute, write)")
    for kind, figure in figures.items():
        print(f"  {kind:<14} {figure['seconds']:>8.1f} s {figure['rows']:>12,} rows")


def print_serving(served: dict[str, Any]) -> None:
    print(
        f"serving {served['requests']} requests for "
        f"{served['distinct projects']} distinct projects, half drawn uniformly "
        "from backed projects, half by backings; after a warm-up pass"
    )
    line = "  {:<30} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}"
    ratio_names = [name.replace(" ms", " x") for name in STATS]
    print(line.format("ms per request", "queries", *STATS, *ratio_names))
    base = served["readers"][BASELINE]
    for name, figure in served["readers"].items():
        # x: the baseline's time over the reader's; above 1, kickrec is faster.
        ratios = [f"{base[k] / figure[k]:.2f}" for k in STATS]
        queries = "-".join(str(n) for n in figure["queries"])
        times = [f"{figure[k]:.2f}" for k in STATS]
        print(line.format(name, queries, *times, *ratios).rstrip())

    agreement = served["agreement"]
    print(
        f"agreement: {agreement['agree']} of {agreement['requests']} requests "
        f"have kickrec's collaborative top {LIMIT} scores equal to the "
        f"baseline's to {SCORE_TOLERANCE:g} ({agreement['empty']} with no "
        "neighbours on either side)"
    )


def bench(name: str, seed: int, requests: int) -> dict[str, Any]:
    """Fill the current database, recompute, serve; print and return figures."""
    version = ".".join(str(part) for part in connection.get_database_version())
    server = f"{connection.display_name} {version}"
    database = Path(str(connection.settings_dict["NAME"])).name
    print(f"database: {server}, throwaway {database}")
    catalogue = kernel_bench.draw(SIZES[name], seed)
    loaded = load(catalogue)
    print_data(name, catalogue, loaded)

    recomputed = recompute()
    print_recompute(recomputed)
    served = serve(sample(catalogue, requests, seed))
    print_serving(served)
    return {
        "database": {"server": server, "name": database},
        "size": name,
        "backings": len(catalogue.project),
        "load seconds": loaded,
        "recompute": recomputed,
        "serving": served,
    }


def in_test_database(name: str, seed: int, requests: int) -> dict[str, Any]:
    """Run bench() in a test database created for it and dropped after."""
    # The test name carries this process's id (kickrec/settings.py), so
    # autoclobber can only drop what an earlier process of that id left.
    real_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=False, serialize=False
    )
    try:
        return bench(name, seed, requests)
    finally:
        connection.creation.destroy_test_db(real_name, verbosity=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size",
        default="S",
        type=str.upper,
        choices=list(SIZES),
        help="XS: 2k projects, quick; S (default): 10k; M: 50k, slow",
    )
    parser.add_argument("--requests", type=int, default=200, help="default 200")
    parser.add_argument("--seed", type=int, default=SEED, help="data seed")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.requests < 2:
        parser.error("--requests must be at least 2")
    if args.size == "M":
        print(M_WARNING, file=sys.stderr)

    started = time.perf_counter()
    info = kernel_bench.header()
    kernel_bench.print_header(info)
    result = in_test_database(args.size, args.seed, args.requests)
    result["wall seconds"] = time.perf_counter() - started
    result["load average after"] = os.getloadavg()
    load = ", ".join(f"{x:.2f}" for x in result["load average after"])
    print(f"wall time {result['wall seconds']:.0f} s, load average after {load}")

    if args.json:
        document = {"seed": args.seed, "machine": info, **result}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    agreement = result["serving"]["agreement"]
    return 0 if agreement["agree"] == agreement["requests"] else 1


if __name__ == "__main__":
    sys.exit(main())
