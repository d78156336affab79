"""Serve recommendations: read the current similarities and blend them.

A request costs four queries (blend settings, the source's active backing
count up to the cold threshold, its similarity rows, the projects kept)
and no computation beyond sorting at most top_n rows per component.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from projects.models import Backing, Project, recommendable_condition
from recommendations.models import BlendSettings, Kind, Similarity

BLENDED = "blended"
STRATEGIES = (BLENDED, *Kind.values)

# A limit larger than the rows kept per project would promise more than the
# index holds.
MAX_LIMIT = 50
DEFAULT_LIMIT = 8


@dataclass(frozen=True)
class Component:
    """One named signal of the blend.

    `needs_backers`: the signal comes from backings, so a cold project's
    weight for it ramps up with its backer count.
    """

    name: str
    needs_backers: bool = False


# A new signal joins the blend by adding a Kind, a kernel in services and an
# entry here; weights, the API's components and the admin follow this list.
COMPONENTS: tuple[Component, ...] = (
    Component(Kind.COLLABORATIVE.value, needs_backers=True),
    Component(Kind.CONTENT.value),
)


COMPONENT_NAMES = tuple(c.name for c in COMPONENTS)


@dataclass
class Recommendation:
    project: Project
    score: float
    components: dict[str, float] = field(default_factory=dict)


def effective_weights(
    blend: BlendSettings, backers: int, strategy: str = BLENDED
) -> dict[str, float]:
    """Return the normalised weight of each component for one source project.

    A single-component strategy weighs that component 1. In the blend, a
    cold project (fewer backers than blend.cold_backers) has the weight of
    every backer-based component scaled by backers / cold_backers.
    """
    if strategy != BLENDED:
        return {c.name: float(c.name == strategy) for c in COMPONENTS}

    ramp = 1.0
    if blend.cold_backers > 0 and backers < blend.cold_backers:
        ramp = backers / blend.cold_backers
    weights = {
        c.name: blend.weight(c.name) * (ramp if c.needs_backers else 1.0)
        for c in COMPONENTS
    }
    largest = max(weights.values())
    if largest <= 0:
        # Only a project with no backers and a blend that weighs nothing
        # but backer-based signals gets here: serve what does not need them.
        weights = {c.name: float(not c.needs_backers) for c in COMPONENTS}
        largest = 1.0
    # Scaled by the largest first: finite weights near the float limit
    # would otherwise sum to infinity.
    scaled = {name: weight / largest for name, weight in weights.items()}
    total = sum(scaled.values())
    return {name: weight / total for name, weight in scaled.items()}


def recommend(
    project: Project,
    strategy: str = BLENDED,
    limit: int = DEFAULT_LIMIT,
    states: list[str] | Literal["default"] | None = "default",
    blend: BlendSettings | None = None,
) -> list[Recommendation]:
    """Return up to `limit` recommendations for `project`, best first.

    `states` limits which projects may be recommended: a list of states,
    None for any, or "default" for the staff setting. Targets deleted or
    no longer recommendable drop out at once, before the next recompute.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}")
    limit = max(0, min(limit, MAX_LIMIT))
    blend = blend or BlendSettings.get_solo()
    if isinstance(states, str):
        if states != "default":
            raise ValueError(f"states must be a list, None or 'default': {states!r}")
        states = blend.state_filter

    backers = 0
    if strategy == BLENDED and blend.cold_backers > 0:
        # Only how cold the project is matters: counting past the threshold
        # would read every backing of a popular project on every request.
        active = Backing.objects.active().filter(project=project)
        backers = active[: blend.cold_backers].count()
    weights = effective_weights(blend, backers, strategy)

    # Every component is read, even those weighing 0 here, so that each
    # result reports all of its component scores. The rows come as plain
    # tuples: only the projects kept are loaded as models.
    rows = Similarity.objects.current().filter(source=project)
    if states is not None:
        rows = rows.filter(recommendable_condition(states, prefix="target__"))
    components: dict[int, dict[str, float]] = {}
    for target_id, kind, score in rows.values_list("target_id", "kind", "score"):
        scores = components.setdefault(target_id, dict.fromkeys(COMPONENT_NAMES, 0.0))
        scores[kind] = score

    blended = {
        target_id: sum(weights[name] * score for name, score in scores.items())
        for target_id, scores in components.items()
    }
    ranked = sorted(
        (target_id for target_id, score in blended.items() if score > 0),
        key=lambda target_id: (-blended[target_id], target_id),
    )[:limit]
    # A project deleted since the rows were read is left out.
    projects = Project.objects.in_bulk(ranked)
    return [
        Recommendation(projects[pk], blended[pk], components[pk])
        for pk in ranked
        if pk in projects
    ]
