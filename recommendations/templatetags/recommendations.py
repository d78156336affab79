"""Template tags that put recommendations on pages of other apps.

The projects app never imports this one; its templates load these tags,
so the project page shows recommendations while projects stays unaware of
how they are made.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from projects.models import Project
from recommendations.views import widget_context

register = template.Library()


@register.inclusion_tag("recommendations/widget.html")
def recommendations_for(project: Project) -> dict[str, Any]:
    """Render the "you might also like" widget. Three queries."""
    return widget_context(project)


@register.inclusion_tag("recommendations/embed_snippet.html", takes_context=True)
def recommendations_embed(context: template.Context, project: Project) -> dict:
    """Render the <iframe> code another site pastes to show the widget."""
    path = reverse("recommendations:frame", args=[project.pk])
    request = context.get("request")
    url = request.build_absolute_uri(path) if request is not None else path
    return {"frame_url": url}
