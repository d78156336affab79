"""Public pages: browse and search projects, read one project."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.views.generic import DetailView, ListView

from projects.models import Project, ProjectState


class ProjectListView(ListView):
    """Projects matching ?q= (name or category), ?category= and ?state=."""

    model = Project
    paginate_by = 24
    context_object_name = "projects"

    def get_queryset(self) -> QuerySet[Project]:
        query = self.request.GET
        projects = Project.objects.browse(
            query.get("q", ""),
            query.get("category", "").strip(),
            query.get("state", "").strip(),
        )
        return projects

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            q=self.request.GET.get("q", ""),
            category=self.request.GET.get("category", ""),
            state=self.request.GET.get("state", ""),
            categories=_categories(),
            states=ProjectState.choices,
            query_without_page=query.urlencode(),
        )
        return context


class ProjectDetailView(DetailView):
    """One project; its recommendations come from a template tag."""

    model = Project
    context_object_name = "project"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Imported URLs are not validated: link only to web addresses, never
        # to a javascript: or data: URL.
        url = self.object.url
        if url.startswith(("https://", "http://")):
            context["source_url"] = url
        return context


def _categories() -> list[str]:
    """Every category in use, for the filter menu. One query."""
    names = (
        Project.objects.exclude(category="")
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )
    return list(names)
