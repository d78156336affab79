"""API representations of projects and recommendations, and the query
parameters the API accepts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from projects.models import Project, ProjectState
from recommendations.blend import (
    BLENDED,
    COMPONENTS,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    STRATEGIES,
)
from recommendations.states import BLANK_STATES, StatesError, parse_states

# Scores are sums of products of floats; six places are more than a ranking
# needs and spare clients the 0.6600000000000001 of binary arithmetic.
SCORE_PLACES = 6


# A dump may call a project live long after its deadline; this says
# whether it can be backed now, as the state filters read "live".
OPEN_HELP = "Live with a deadline still ahead: the project can be backed now."


class _ProjectPageURL:
    """Adds `url`: the absolute address of the project's page on this site."""

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, project: Project) -> str:
        path = project.get_absolute_url()
        request = self.context.get("request")  # type: ignore[attr-defined]
        return request.build_absolute_uri(path) if request is not None else path


class ProjectSerializer(_ProjectPageURL, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    source_url = serializers.CharField(
        source="url", read_only=True, help_text="The project on its own site."
    )
    percent_funded = serializers.IntegerField(read_only=True, allow_null=True)
    open_for_backing = serializers.BooleanField(
        source="is_open_for_backing", read_only=True, help_text=OPEN_HELP
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "key",
            "name",
            "blurb",
            "category",
            "subcategory",
            "creator_name",
            "state",
            "open_for_backing",
            "goal",
            "pledged",
            "currency",
            "goal_usd",
            "pledged_usd",
            "percent_funded",
            "backers_count",
            "launched_at",
            "deadline",
            "url",
            "source_url",
        ]
        read_only_fields = fields


class ProjectSummarySerializer(_ProjectPageURL, serializers.ModelSerializer):
    """The few fields a recommendation card shows."""

    url = serializers.SerializerMethodField()
    percent_funded = serializers.IntegerField(read_only=True, allow_null=True)
    open_for_backing = serializers.BooleanField(
        source="is_open_for_backing", read_only=True, help_text=OPEN_HELP
    )
    days_left = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "category",
            "subcategory",
            "state",
            "open_for_backing",
            "percent_funded",
            "days_left",
            "deadline",
            "url",
        ]
        read_only_fields = fields


class ScoreField(serializers.FloatField):
    def to_representation(self, value: float) -> Any:
        return round(float(value), SCORE_PLACES)


class ComponentScoresField(serializers.DictField):
    """Each component's score, always every component, in blend order."""

    child = ScoreField()

    def to_representation(self, value: dict[str, float]) -> dict[str, float]:
        return {
            c.name: self.child.to_representation(value.get(c.name, 0.0))
            for c in COMPONENTS
        }


class RecommendationSerializer(serializers.Serializer):
    project = ProjectSummarySerializer()
    score = ScoreField(help_text="The blended score, 0 to 1; higher is closer.")
    components = ComponentScoresField(
        help_text="The score of each component before weighting."
    )


class RecommendationListSerializer(serializers.Serializer):
    project = serializers.IntegerField(help_text="The id of the source project.")
    strategy = serializers.ChoiceField(choices=STRATEGIES)
    results = RecommendationSerializer(many=True)


class ProjectFilterSerializer(serializers.Serializer):
    """Query parameters of the project list."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Text to find in the name or category, case-insensitive.",
    )
    category = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Only projects of this category (exact name).",
    )
    state = serializers.ChoiceField(
        choices=ProjectState.choices,
        required=False,
        allow_blank=True,
        help_text="Only projects in this state.",
        error_messages={
            "invalid_choice": (
                '"{input}" is not a project state; use one of '
                + ", ".join(ProjectState.values)
                + "."
            )
        },
    )


class StatesField(serializers.CharField):
    """A comma-separated list of project states, or "any" (read as None)."""

    default_error_messages = {"blank": BLANK_STATES}

    def to_internal_value(self, data: Any) -> Any:
        """Return the states as a list without repeats, or None for any."""
        text = super().to_internal_value(data)
        try:
            return parse_states(text)
        except StatesError as error:
            raise serializers.ValidationError(str(error), code=error.code) from error


class RecommendationQuerySerializer(serializers.Serializer):
    """Query parameters of a project's recommendations."""

    strategy = serializers.ChoiceField(
        choices=STRATEGIES,
        default=BLENDED,
        help_text=(
            "blended weighs every component as staff set it; collaborative "
            "or content uses that component alone."
        ),
        error_messages={
            "invalid_choice": (
                '"{input}" is not a strategy; use one of ' + ", ".join(STRATEGIES) + "."
            )
        },
    )
    limit = serializers.IntegerField(
        default=DEFAULT_LIMIT,
        min_value=1,
        help_text=f"How many results, at most; above {MAX_LIMIT} counts as "
        f"{MAX_LIMIT}.",
        error_messages={
            "invalid": "limit must be a whole number, e.g. limit=8.",
            "min_value": "limit must be at least {min_value}.",
            "max_string_length": "limit is too long to be a number.",
        },
    )
    states = StatesField(
        required=False,
        help_text=(
            "States a recommended project may be in, comma-separated (live "
            'means still open for backing), or "any". Absent or empty: the '
            "states staff chose."
        ),
    )

    def validate_limit(self, value: int) -> int:
        return min(value, MAX_LIMIT)
