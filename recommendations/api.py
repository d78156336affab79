"""The read-only REST API: projects and their recommendations."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from projects.models import Project
from recommendations.blend import recommend
from recommendations.serializers import (
    ProjectFilterSerializer,
    ProjectSerializer,
    RecommendationListSerializer,
    RecommendationQuerySerializer,
)


class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    """Projects, searchable and filterable, and each one's recommendations."""

    serializer_class = ProjectSerializer

    def get_queryset(self) -> QuerySet[Project]:
        if self.action != "list":
            return Project.objects.all()

        params = ProjectFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return Project.objects.browse(
            params.validated_data.get("q", ""),
            params.validated_data.get("category", ""),
            params.validated_data.get("state", ""),
        )

    @extend_schema(parameters=[ProjectFilterSerializer])
    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[RecommendationQuerySerializer],
        responses=RecommendationListSerializer,
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def recommendations(self, request: Request, pk: str | None = None) -> Response:
        """Projects like this one, best first. Five queries."""
        params = RecommendationQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        options = params.validated_data
        project = self.get_object()

        results = recommend(
            project,
            strategy=options["strategy"],
            limit=options["limit"],
            states=options.get("states", "default"),
        )
        payload = {
            "project": project.pk,
            "strategy": options["strategy"],
            "results": results,
        }
        context = self.get_serializer_context()
        return Response(RecommendationListSerializer(payload, context=context).data)
