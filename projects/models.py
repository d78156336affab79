from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone


class ProjectState(models.TextChoices):
    LIVE = "live", "Live"
    SUCCESSFUL = "successful", "Successful"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"
    SUSPENDED = "suspended", "Suspended"
    UNKNOWN = "unknown", "Unknown"


def _open_for_backing(prefix: str = "") -> Q:
    # A deadline is what makes a project open: a live project whose deadline
    # is not known (an old dump's, say) cannot be shown as one to back.
    return Q(
        **{f"{prefix}state": ProjectState.LIVE, f"{prefix}deadline__gt": timezone.now()}
    )


def recommendable_condition(states: list[str], prefix: str = "") -> Q:
    """The condition for a project in one of `states` to be recommended.

    "live" means open for backing: a live project past its deadline can no
    longer take pledges. With `prefix` ("target__", say) the condition is
    on a related project, so a query that joins it filters in the join.
    """
    others = [state for state in states if state != ProjectState.LIVE]
    condition = Q(**{f"{prefix}state__in": others})
    if ProjectState.LIVE in states:
        condition |= _open_for_backing(prefix)
    return condition


class ProjectQuerySet(models.QuerySet["Project"]):
    def open_for_backing(self) -> ProjectQuerySet:
        """Live projects whose deadline is known and has not passed."""
        return self.filter(_open_for_backing())

    def browse(
        self, text: str = "", category: str = "", state: str = ""
    ) -> ProjectQuerySet:
        """Projects matching a search text, and a category and state if given.

        An unknown state matches nothing rather than being ignored, so a
        mistyped filter is not mistaken for "all projects".
        """
        projects = self.search(text)
        if category:
            projects = projects.filter(category=category)
        if state:
            # As everywhere, "live" means open for backing: a page listing
            # live projects must not show one whose deadline has passed.
            projects = projects.filter(recommendable_condition([state]))
        return projects

    def search(self, text: str) -> ProjectQuerySet:
        """Projects whose name or category contains `text`, case-insensitive."""
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text)
            | Q(category__icontains=text)
            | Q(subcategory__icontains=text)
        )


class Project(models.Model):
    key = models.CharField(
        max_length=255,
        unique=True,
        help_text="Stable external key, e.g. creator-slug/project-slug.",
    )
    external_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="The source's id."
    )
    name = models.CharField(max_length=255)
    blurb = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    subcategory = models.CharField(max_length=100, blank=True)
    creator_name = models.CharField(max_length=255, blank=True)
    creator_key = models.CharField(max_length=255, blank=True, db_index=True)
    url = models.URLField(max_length=500, blank=True)
    country = models.CharField(max_length=2, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    goal = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    pledged = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    usd_rate = models.DecimalField(
        max_digits=18,
        decimal_places=10,
        null=True,
        blank=True,
        help_text="US dollars per unit of the project's currency, from the dump.",
    )
    goal_usd = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    pledged_usd = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    backers_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Backers the source reports, not backings we hold.",
    )
    state = models.CharField(
        max_length=16,
        choices=ProjectState.choices,
        default=ProjectState.UNKNOWN,
        db_index=True,
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        # Newest first; a project with no launch date (an old dump's) last,
        # on every database: PostgreSQL would put it first.
        ordering = [F("launched_at").desc(nulls_last=True), "-id"]
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    @property
    def percent_funded(self) -> int | None:
        if not self.goal or self.pledged is None:
            return None
        return int(self.pledged * 100 / self.goal)

    @property
    def is_open_for_backing(self) -> bool:
        if self.state != ProjectState.LIVE or self.deadline is None:
            return False
        return self.deadline > timezone.now()

    @property
    def days_left(self) -> int | None:
        """Whole days until the deadline, for projects still open."""
        if not self.is_open_for_backing or self.deadline is None:
            return None
        return max(0, (self.deadline - timezone.now()).days)


class Backer(models.Model):
    key = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name or self.key


class BackingState(models.TextChoices):
    PENDING = "pending", "Pending"
    COLLECTED = "collected", "Collected"
    REFUNDED = "refunded", "Refunded"
    CANCELLED = "cancelled", "Cancelled"
    DROPPED = "dropped", "Dropped"


# Backings in these states were never paid or were paid back: they are kept
# for the record but say nothing about what a backer chose to support.
INACTIVE_BACKING_STATES = (
    BackingState.REFUNDED,
    BackingState.CANCELLED,
    BackingState.DROPPED,
)


class BackingQuerySet(models.QuerySet["Backing"]):
    def active(self) -> BackingQuerySet:
        """Backings that count for the recommender: paid or due, amount > 0."""
        return self.exclude(state__in=INACTIVE_BACKING_STATES).filter(amount__gt=0)


class Backing(models.Model):
    backer = models.ForeignKey(
        Backer, on_delete=models.CASCADE, related_name="backings"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="backings"
    )
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal(1),
        help_text="Pledge in the project's currency; 1 where the source has none.",
    )
    state = models.CharField(
        max_length=16, choices=BackingState.choices, default=BackingState.COLLECTED
    )
    backed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BackingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["backer", "project"], name="one_backing_per_backer_project"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="backing_amount_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["project", "state"])]

    def __str__(self) -> str:
        return f"{self.backer} -> {self.project}: {self.amount}"

    @property
    def is_active(self) -> bool:
        return self.state not in INACTIVE_BACKING_STATES and self.amount > 0
