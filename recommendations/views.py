"""The "you might also like" widget, on project pages and in an iframe."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.generic import TemplateView

from projects.models import Project
from recommendations.blend import DEFAULT_LIMIT, recommend


def widget_context(project: Project, link_target: str = "") -> dict[str, Any]:
    """Return the context of the widget template. Four queries (the blend).

    `link_target` is the target attribute of the widget's links: a frame
    sets it so that a click leaves the frame instead of opening inside it.
    """
    return {
        "project": project,
        "recommendations": recommend(project, limit=DEFAULT_LIMIT),
        "link_target": link_target,
    }


# Other sites embed this page, so it must not send X-Frame-Options. It
# shows public data only and has no form to trick a visitor into posting.
@method_decorator(xframe_options_exempt, name="dispatch")
class RecommendationFrameView(TemplateView):
    """A project's widget alone, as a minimal page for an <iframe>."""

    template_name = "recommendations/frame.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        project = get_object_or_404(Project, pk=self.kwargs["pk"])
        context.update(widget_context(project, link_target="_top"))
        return context
