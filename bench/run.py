"""Time kickrec's similarity kernels beside implicit on synthetic backings.

Run from the repository root: `.venv/bin/python bench/run.py --sizes S,M`.
Each step runs in a fresh process so that its peak memory is its own; see
bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

# The script is run by path, so Python puts bench/ on sys.path, not the
# repository root where projects/ and recommendations/ live.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from projects import demo  # noqa: E402
from recommendations import kernels  # noqa: E402

TOP_N = 50
LSI_COMPONENTS = 200
AGREEMENT_SAMPLE = 1000
# implicit computes in the input's precision (float64 here); anything
# larger than rounding means the two kernels disagree.
SCORE_TOLERANCE = 1e-9
MB = 1024 * 1024


@dataclass(frozen=True)
class Size:
    projects: int
    backers: int
    backings: int


SIZES = {
    "XS": Size(projects=2_000, backers=20_000, backings=100_000),
    "S": Size(projects=10_000, backers=100_000, backings=500_000),
    "M": Size(projects=50_000, backers=1_000_000, backings=5_000_000),
}


def _rss(field_name: str = "VmRSS") -> int:
    status = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field_name}:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


@dataclass
class Step:
    """One step's figures; peaks are bytes above the RSS the step began at."""

    name: str
    kind: str  # "collaborative" steps are compared with implicit
    seconds: float = 0.0
    peak: int = 0
    phases: list[tuple[str, float, int]] = field(default_factory=list)
    pairs: int = 0
    start_rss: int = field(default_factory=_rss)
    sample: dict[int, tuple[list[int], list[float]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalogue:
    """Drawn rows; a backing refers to projects and backers by index."""

    texts: list[demo.ProjectText]
    backers: int
    backer: np.ndarray
    project: np.ndarray
    amount: np.ndarray


def draw(size: Size, seed: int) -> Catalogue:
    """Draw a catalogue with demo.py's skew; the same seed, the same rows."""
    rng = np.random.default_rng(seed)
    categories = demo.draw_categories(rng, size.projects)
    popularity = demo.draw_popularity(rng, size.projects)
    per_backer = size.backings / size.backers
    backer, project = demo.draw_backings(
        rng, categories, popularity, size.backers, per_backer
    )

    medians = np.array([c.pledge_median for c in demo.CATEGORIES])
    amount = demo.draw_amounts(rng, medians[categories[project]])
    texts = demo.draw_texts(rng, categories)
    return Catalogue(texts, size.backers, backer, project, amount)


def generate(size: Size, seed: int, folder: Path) -> dict[str, int]:
    """Draw a catalogue, save it to folder for the steps, return counts."""
    catalogue = draw(size, seed)
    project, backer, amounts = catalogue.project, catalogue.backer, catalogue.amount
    # Joined as recommendations.services.project_text does; services
    # imports Django, so the one line is repeated here.
    texts = [
        " ".join(part for part in (t.name, t.blurb, t.category, t.subcategory) if part)
        for t in catalogue.texts
    ]

    np.savez(folder / "backings.npz", project=project, backer=backer, amount=amounts)
    (folder / "texts.txt").write_text("\n".join(texts), encoding="utf-8")
    backed = np.unique(project)
    rng = np.random.default_rng([seed, 2])
    sample = rng.choice(backed, size=min(AGREEMENT_SAMPLE, len(backed)), replace=False)
    np.save(folder / "sample.npy", np.sort(sample))

    shape = (size.projects, size.backers)
    counts = {
        "projects": size.projects,
        "backers": size.backers,
        "backings asked": size.backings,
        "backings": len(project),
        "nnz": kernels.amount_matrix(project, backer, amounts, shape).nnz,
        "backed projects": len(backed),
    }
    (folder / "counts.json").write_text(json.dumps(counts))
    return counts


@contextmanager
def measured(step: Step, phase: str) -> Iterator[None]:
    """Add the phase's seconds and RSS high-water mark to step."""
    # Linux resets VmHWM to the current RSS on "5", so each phase reads
    # its own high-water mark instead of the process's lifetime one.
    Path("/proc/self/clear_refs").write_text("5")
    started = time.perf_counter()
    yield
    seconds = time.perf_counter() - started

    peak = _rss("VmHWM") - step.start_rss
    step.phases.append((phase, seconds, peak))
    step.seconds += seconds
    step.peak = max(step.peak, peak)


def _load(folder: Path) -> tuple[dict[str, np.ndarray], np.ndarray]:
    with np.load(folder / "backings.npz") as data:
        arrays = {key: data[key] for key in data.files}
    return arrays, np.load(folder / "sample.npy")


def _shape(folder: Path) -> tuple[int, int]:
    counts = json.loads((folder / "counts.json").read_text())
    return counts["projects"], counts["backers"]


def kickrec_collaborative(folder: Path, threads: int = 0) -> Step:
    """Build the amount matrix and consume every neighbour block."""
    data, sample = _load(folder)
    label = "all cores" if threads == 0 else f"{threads} thread"
    step = Step(f"kickrec collaborative ({label})", "collaborative")
    threads = threads or os.cpu_count() or 1

    with measured(step, "amount matrix"):
        matrix = kernels.amount_matrix(
            data["project"], data["backer"], data["amount"], _shape(folder)
        )
    with measured(step, "neighbours"):
        blocks = kernels.collaborative_neighbours(matrix, top_n=TOP_N, threads=threads)
        for block in blocks:
            step.pairs += len(block)
            _keep_sample(step, sample, block.source, block.target, block.score)
    return step


def implicit_cosine(folder: Path, threads: int = 0) -> Step:
    """Fit CosineRecommender on backers x projects, read top N per project."""
    from implicit.nearest_neighbours import CosineRecommender

    data, sample = _load(folder)
    label = "all cores" if threads == 0 else f"{threads} thread"
    step = Step(f"implicit Cosine ({label})", "collaborative")

    with measured(step, "amount matrix"):
        matrix = kernels.amount_matrix(
            data["project"], data["backer"], data["amount"], _shape(folder)
        )
        user_items = matrix.T.tocsr()
    with measured(step, "fit"), warnings.catch_warnings():
        # fit hands all_pairs_knn a COO matrix and implicit warns about
        # its own conversion; the cost is timed all the same.
        warnings.simplefilter("ignore")
        # Its lists include the project itself, so one more is kept to
        # leave TOP_N others, as kickrec does.
        model = CosineRecommender(K=TOP_N + 1, num_threads=threads)
        model.fit(user_items, show_progress=False)
    with measured(step, "top-n lists"):
        source, target, score = _sorted_lists(model.similarity.tocoo())
        step.pairs = len(source)
    _keep_sample(step, sample, source, target, score)
    return step


def _sorted_lists(
    similarity: sp.coo_matrix,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # The same output as kickrec's: best first per project, itself left
    # out, at most TOP_N. Unused slots of implicit's output are zeros.
    rows, cols, values = similarity.row, similarity.col, similarity.data
    keep = (rows != cols) & (values > 0)
    rows, cols, values = rows[keep], cols[keep], values[keep]
    order = np.lexsort((cols, -values, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    keep = rank < TOP_N
    return rows[keep], cols[keep], values[keep]


def kickrec_content(folder: Path) -> Step:
    """Fit LSI on the project texts and consume every dense neighbour block."""
    texts = (folder / "texts.txt").read_text(encoding="utf-8").split("\n")
    step = Step("kickrec content", "content")

    with measured(step, "lsi fit"):
        vectors = kernels.lsi_vectors(texts, LSI_COMPONENTS)
    with measured(step, "neighbours"):
        for block in kernels.dense_neighbours(vectors, top_n=TOP_N):
            step.pairs += len(block)
    return step


def _keep_sample(
    step: Step,
    sample: np.ndarray,
    source: np.ndarray,
    target: np.ndarray,
    score: np.ndarray,
) -> None:
    # Both kernels emit rows grouped by source, so one split per block
    # finds each sampled list without a scan per project.
    picked = np.isin(source, sample)
    rows, targets, scores = source[picked], target[picked], score[picked]
    ids, first = np.unique(rows, return_index=True)
    for row, t, s in zip(
        ids.tolist(),
        np.split(targets, first[1:]),
        np.split(scores, first[1:]),
        strict=True,
    ):
        step.sample[row] = (t.tolist(), s.tolist())


def agreement(mine: Step, theirs: Step) -> dict[str, float]:
    """Compare two steps' neighbour lists on the sampled projects.

    A list agrees when both hold the same targets, or differ only in
    targets tied with the last kept score (either side may keep a tie).
    """
    same = up_to_ties = 0
    worst = 0.0
    rows = sorted(set(mine.sample) | set(theirs.sample))
    for row in rows:
        a_ids, a_scores = mine.sample.get(row, ([], []))
        b_ids, b_scores = theirs.sample.get(row, ([], []))
        a, b = (
            dict(zip(a_ids, a_scores, strict=True)),
            dict(zip(b_ids, b_scores, strict=True)),
        )
        for target in a.keys() & b.keys():
            worst = max(worst, abs(a[target] - b[target]))
        if a.keys() == b.keys():
            same += 1
            continue

        cut = min(min(a.values(), default=0.0), min(b.values(), default=0.0))
        odd = [a.get(t, b.get(t, 0.0)) for t in a.keys() ^ b.keys()]
        if len(a) == len(b) and all(abs(s - cut) <= SCORE_TOLERANCE for s in odd):
            up_to_ties += 1
    n = max(len(rows), 1)
    return {
        "projects": len(rows),
        "identical": same / n,
        "identical up to ties": (same + up_to_ties) / n,
        "max score difference": worst,
    }


def _isolated(function: Callable[..., Step], *args: object) -> Step:
    # A fresh interpreter per step: peak RSS is the step's own, and no
    # step inherits another's heap or thread pools.
    context = get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def _fastest(repeat: int, function: Callable[..., Step], *args: object) -> Step:
    # Other work on a shared machine only ever adds time, so the fastest
    # of a few runs is the best estimate of the step's own cost.
    runs = [_isolated(function, *args) for _ in range(repeat)]
    return min(runs, key=lambda step: step.seconds)


def run_size(name: str, seed: int, repeat: int, single_thread: bool) -> dict[str, Any]:
    """Generate one size, run every step on it and return the figures."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kickrec-bench-") as tmp:
        folder = Path(tmp)
        counts = generate(SIZES[name], seed, folder)
        generated = time.perf_counter() - started

        steps = [
            _fastest(repeat, kickrec_collaborative, folder),
            _fastest(repeat, implicit_cosine, folder),
        ]
        if single_thread:
            steps.append(_fastest(repeat, kickrec_collaborative, folder, 1))
            steps.append(_fastest(repeat, implicit_cosine, folder, 1))
        steps.append(_fastest(repeat, kickrec_content, folder))

    return {
        "size": name,
        "repeat": repeat,
        "data": counts,
        "generate seconds": generated,
        "wall seconds": time.perf_counter() - started,
        "load average after": os.getloadavg(),
        "steps": steps,
        "agreement": agreement(steps[0], steps[1]),
    }


def header() -> dict[str, Any]:
    """Describe the machine and libraries that the figures depend on."""
    import implicit
    import scipy
    import sklearn
    import threadpoolctl

    pools = [
        {
            "api": pool["internal_api"],
            "version": pool.get("version"),
            "threads": pool["num_threads"],
            "architecture": pool.get("architecture"),
            "library": Path(pool["filepath"]).name,
        }
        for pool in threadpoolctl.threadpool_info()
    ]
    pools.sort(key=lambda pool: (pool["api"], pool["library"]))
    watched = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    return {
        "python": platform.python_version(),
        "machine": _cpu_model(),
        "cpu count": os.cpu_count(),
        "usable cpus": len(os.sched_getaffinity(0)),
        # Other work on the machine slows every step; a load well above
        # zero before the run makes its figures suspect.
        "load average": os.getloadavg(),
        "libraries": {
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "implicit": implicit.__version__,
        },
        "environment": {name: os.environ.get(name, "unset") for name in watched},
        "thread pools": pools,
    }


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        if match:
            return match.group(1).strip()
    return platform.processor() or platform.machine()


def print_header(info: dict[str, Any]) -> None:
    libraries = ", ".join(f"{k} {v}" for k, v in info["libraries"].items())
    environment = ", ".join(f"{k}={v}" for k, v in info["environment"].items())
    print(f"kickrec bench: Python {info['python']}, {libraries}")
    cpus = f"{info['cpu count']} CPUs ({info['usable cpus']} usable)"
    load = ", ".join(f"{x:.2f}" for x in info["load average"])
    print(f"machine: {info['machine']}, {cpus}, load average {load}")
    print(f"environment: {environment}")
    for pool in info["thread pools"]:
        details = [pool["api"], pool["version"], pool["architecture"]]
        name = " ".join(str(detail) for detail in details if detail)
        print(f"  {name}: {pool['threads']} threads ({pool['library']})")
    print()


def print_size(result: dict[str, Any]) -> None:
    data = result["data"]
    print(
        f"size {result['size']}: {data['projects']:,} projects, "
        f"{data['backers']:,} backers, {data['backings asked']:,} backings "
        f"asked, {data['backings']:,} after dedup (nnz {data['nnz']:,}); "
        f"{data['backed projects']:,} projects backed"
    )
    runs = "one run" if result["repeat"] == 1 else f"fastest of {result['repeat']}"
    print(f"top {TOP_N} neighbours, {LSI_COMPONENTS} LSI components, {runs} a step")
    line = "{:<4} {:<34} {:>9} {:>9} {:>8} {:>8} {:>10}"
    print(line.format("size", "step", "seconds", "peak MB", "time x", "mem x", "pairs"))

    # The first implicit step (all cores) is the baseline of the run.
    baseline = result["steps"][1]
    for step in result["steps"]:
        collaborative = step.kind == "collaborative"
        time_x = f"{step.seconds / baseline.seconds:.2f}" if collaborative else "-"
        mem_x = f"{step.peak / max(baseline.peak, 1):.2f}" if collaborative else "-"
        print(
            line.format(
                result["size"],
                step.name,
                f"{step.seconds:.2f}",
                f"{step.peak / MB:.0f}",
                time_x,
                mem_x,
                f"{step.pairs:,}",
            ).rstrip()
        )
        for name, seconds, peak in step.phases:
            figures = (f"{seconds:.2f}", f"{peak / MB:.0f}", "", "", "")
            print(line.format("", f"  {name}", *figures).rstrip())

    agree = result["agreement"]
    print(
        f"agreement, kickrec vs implicit on {agree['projects']} sampled projects: "
        f"{agree['identical']:.1%} identical lists, "
        f"{agree['identical up to ties']:.1%} identical up to ties at the cut, "
        f"max score difference {agree['max score difference']:.1e}"
    )
    print(
        f"wall time {result['wall seconds']:.0f} s "
        f"(data generation {result['generate seconds']:.0f} s), "
        f"load average after {result['load average after'][0]:.2f}"
    )
    print()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="S,M", help="comma-separated, of XS, S and M (default S,M)"
    )
    parser.add_argument("--seed", type=int, default=20240601, help="data seed")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each step this many times and keep the fastest (default 1)",
    )
    parser.add_argument(
        "--no-single-thread",
        dest="single_thread",
        action="store_false",
        help="skip the second implicit run on one thread",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    names = [name.strip().upper() for name in args.sizes.split(",") if name.strip()]
    unknown = [name for name in names if name not in SIZES]
    if unknown:
        parser.error(
            f"unknown size {', '.join(unknown)}; choose from {', '.join(SIZES)}"
        )
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    info = header()
    print_header(info)
    results = []
    for name in names:
        results.append(run_size(name, args.seed, args.repeat, args.single_thread))
        print_size(results[-1])

    if args.json:
        for result in results:
            result["steps"] = [asdict(step) for step in result["steps"]]
            for step in result["steps"]:
                del step["sample"], step["start_rss"]
        document = {"seed": args.seed, "machine": info, "sizes": results}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
