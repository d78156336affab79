from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from solo.models import SingletonModel

from projects.models import Project, ProjectState


class Kind(models.TextChoices):
    """The signals kickrec precomputes; each is a component of the blend."""

    COLLABORATIVE = "collaborative", "Collaborative (backers also backed)"
    CONTENT = "content", "Content (LSI over project text)"


class GenerationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    SUPERSEDED = "superseded", "Superseded"


class GenerationQuerySet(models.QuerySet["Generation"]):
    def current(self) -> GenerationQuerySet:
        return self.filter(is_current=True)

    def of_kind(self, kind: str) -> GenerationQuerySet:
        return self.filter(kind=kind)


class Generation(models.Model):
    """One computation of one kind of similarity.

    Rows are written under a new generation that no reader sees; publishing
    flips `is_current` from the old generation to the new one in a single
    transaction, so readers see the whole old list or the whole new one.
    """

    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(
        max_length=16,
        choices=GenerationStatus.choices,
        default=GenerationStatus.PENDING,
    )
    is_current = models.BooleanField(default=False)
    params = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(is_current=True),
                name="one_current_generation_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class SimilarityQuerySet(models.QuerySet["Similarity"]):
    def current(self) -> SimilarityQuerySet:
        """Rows of the published generation of each kind.

        The generation is joined in the same statement, so a reader never
        mixes the rows of two generations.
        """
        return self.filter(generation__is_current=True)

    def of_generation(self, generation: Generation | int) -> SimilarityQuerySet:
        return self.filter(generation=generation)


class Similarity(models.Model):
    generation = models.ForeignKey(
        Generation, on_delete=models.CASCADE, related_name="similarities"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    source = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="similarities_from"
    )
    target = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="similarities_to"
    )
    score = models.FloatField()
    support = models.PositiveIntegerField(
        null=True, blank=True, help_text="Shared backers (collaborative only)."
    )

    objects = SimilarityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "similarities"
        constraints = [
            models.UniqueConstraint(
                fields=["generation", "source", "target"],
                name="one_similarity_per_pair_and_generation",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1),
                name="similarity_score_in_unit_interval",
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")),
                name="similarity_not_to_itself",
            ),
        ]
        indexes = [
            models.Index(
                fields=["generation", "source", "-score"],
                name="similarity_source_by_score",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id} {self.kind} {self.score:.4f}"


# The most a PositiveIntegerField holds on every database Django supports:
# SQLite would store more, PostgreSQL refuses it.
MAX_COLD_BACKERS = 2_147_483_647


def default_weights() -> dict[str, float]:
    return {Kind.COLLABORATIVE.value: 0.7, Kind.CONTENT.value: 0.3}


def default_recommendable_states() -> list[str]:
    return [ProjectState.LIVE]


def validate_weights(weights: Any) -> None:
    """Refuse weights that are not finite numbers >= 0 with at least one > 0.

    Errors are keyed by component so that a form can show them by its field.
    """
    if not isinstance(weights, dict):
        raise ValidationError({"weights": "Weights must be a mapping."})
    errors: dict[str, str] = {}
    for kind in Kind.values:
        value = weights.get(kind, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors[kind] = f"The {kind} weight must be a number."
        elif not math.isfinite(value):
            errors[kind] = f"The {kind} weight must be a finite number."
        elif value < 0:
            errors[kind] = f"The {kind} weight must be at least 0."
    unknown = set(weights) - set(Kind.values)
    if unknown:
        errors["weights"] = f"Unknown components: {', '.join(sorted(unknown))}."
    if not errors and not any(weights.get(kind, 0) > 0 for kind in Kind.values):
        # No single weight is wrong, so the error goes on each of them.
        message = "At least one weight must be greater than 0."
        errors = {kind: message for kind in Kind.values}
    if errors:
        raise ValidationError(errors)


class BlendSettings(SingletonModel):
    """What staff tune: component weights, coldness, recommendable states.

    Read on every request (one query), so a save shows on the next page in
    every process without a restart or a recompute.
    """

    weights = models.JSONField(
        default=default_weights,
        help_text="Weight of each component, by component name.",
    )
    cold_backers = models.PositiveIntegerField(
        default=10,
        validators=[MaxValueValidator(MAX_COLD_BACKERS)],
        help_text=(
            "Projects with fewer active backings than this are cold: their "
            "collaborative weight ramps from 0 (no backers) to full."
        ),
    )
    recommendable_states = models.JSONField(
        default=default_recommendable_states,
        help_text=(
            "Project states that may be recommended; live means still open "
            "for backing. Empty means any state."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "blend settings"

    def __str__(self) -> str:
        return "Blend settings"

    def clean(self) -> None:
        validate_weights(self.weights)
        states = self.recommendable_states
        if not isinstance(states, list) or not set(states) <= set(ProjectState.values):
            raise ValidationError(
                {"recommendable_states": "Choose states from the project states."}
            )

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Validated on every save, not only in forms, so that no code path
        # can store weights the blend cannot use.
        self.clean()
        super().save(*args, **kwargs)

    def weight(self, kind: str) -> float:
        return float(self.weights.get(kind, 0.0))

    @property
    def state_filter(self) -> list[str] | None:
        """The recommendable states, None for any."""
        return list(self.recommendable_states) or None
