"""Admin for similarities, generations and the blend, and recommendations
on the project admin.

The project admin is registered by the projects app; this module replaces
it with a subclass that adds recommendations, so that projects stays free
of any import from recommendations.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.forms.models import ModelFormMetaclass
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString
from django.utils.text import smart_split, unescape_string_literal
from solo.admin import SingletonModelAdmin

from projects.admin import ProjectAdmin
from projects.models import Backing, Project, ProjectState
from recommendations import services, tasks
from recommendations.blend import (
    COMPONENTS,
    DEFAULT_LIMIT,
    STRATEGIES,
    Component,
    Recommendation,
    effective_weights,
    recommend,
)
from recommendations.models import (
    BlendSettings,
    Generation,
    GenerationStatus,
    Kind,
    Similarity,
    validate_weights,
)

logger = logging.getLogger(__name__)


class RecommendingProjectAdmin(ProjectAdmin):
    """The project admin, with the project's recommendations shown read-only
    on its change page and a preview of every strategy one click away."""

    readonly_fields = [*ProjectAdmin.readonly_fields, "recommendations"]

    @admin.display(description="Recommendations (blended)")
    def recommendations(self, project: Project) -> SafeString | str:
        if project.pk is None:
            return "Shown once the project is saved."
        preview_url = reverse(
            f"{self.admin_site.name}:projects_project_recommendations",
            args=[project.pk],
        )
        return render_to_string(
            "admin/recommendations/recommendation_table.html",
            {
                "rows": _table_rows(recommend(project)),
                "components": [c.name for c in COMPONENTS],
                "preview_url": preview_url,
            },
        )

    def get_urls(self) -> list[URLPattern]:
        preview = path(
            "<path:object_id>/recommendations/",
            self.admin_site.admin_view(self.recommendations_view),
            name="projects_project_recommendations",
        )
        return [preview, *super().get_urls()]

    def recommendations_view(
        self, request: HttpRequest, object_id: str
    ) -> HttpResponse:
        """Every strategy's recommendations for one project, for staff."""
        project = self.get_object(request, unquote(object_id))
        if project is None:
            raise Http404(f"No project with id {object_id!r}.")
        if not self.has_view_permission(request, project):
            raise PermissionDenied

        any_state = request.GET.get("states") == "any"
        blend = BlendSettings.get_solo()
        backers = Backing.objects.active().filter(project=project).count()
        previews = [
            {
                "strategy": strategy,
                "weights": effective_weights(blend, backers, strategy),
                "rows": _table_rows(
                    recommend(
                        project,
                        strategy,
                        DEFAULT_LIMIT,
                        states=None if any_state else "default",
                        blend=blend,
                    )
                ),
            }
            for strategy in STRATEGIES
        ]

        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": project,
            "title": f"Recommendations for {project}",
            "previews": previews,
            "components": [c.name for c in COMPONENTS],
            "any_state": any_state,
            "blend": blend,
            "active_backers": backers,
        }
        return TemplateResponse(
            request, "admin/recommendations/project/recommendations.html", context
        )


def _table_rows(recommendations: list[Recommendation]) -> list[dict[str, Any]]:
    """Each recommendation with its component scores in blend order."""
    return [
        {
            "project": r.project,
            "score": r.score,
            "components": [r.components.get(c.name, 0.0) for c in COMPONENTS],
        }
        for r in recommendations
    ]


admin.site.unregister(Project)
admin.site.register(Project, RecommendingProjectAdmin)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the recompute writes: staff look, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Any | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Any | None = None
    ) -> bool:
        return False


@admin.register(Similarity)
class SimilarityAdmin(ReadOnlyAdmin):
    list_display = ["source", "target", "kind", "score", "support", "generation"]
    list_filter = ["kind"]
    list_select_related = ["source", "target", "generation"]
    search_fields = ["source__name", "target__name"]
    raw_id_fields = ["source", "target", "generation"]
    # Millions of rows: counting them all again for "show all" is not worth
    # a second full scan on every page.
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Similarity], search_term: str
    ) -> tuple[QuerySet[Similarity], bool]:
        """Rows whose source or target name holds every word searched.

        Joining both projects to millions of rows to match names scans them
        all; the project table is small, so the names are matched there and
        the rows found through the source and target indexes.
        """
        for word in smart_split(search_term):
            if len(word) > 1 and word[0] in "\"'" and word[-1] == word[0]:
                word = unescape_string_literal(word)
            if not word.strip():
                continue
            named = Project.objects.filter(name__icontains=word).values("pk")
            queryset = queryset.filter(Q(source__in=named) | Q(target__in=named))
        return queryset, False


# How a recompute's outcome is shown; a queued generation is still pending.
_MESSAGE_LEVELS: dict[str, int] = {
    GenerationStatus.PUBLISHED: messages.SUCCESS,
    GenerationStatus.SKIPPED: messages.WARNING,
    GenerationStatus.FAILED: messages.ERROR,
}


@admin.register(Generation)
class GenerationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "is_current",
        "rows",
        "created_at",
        "finished_at",
        "message",
    ]
    list_filter = ["kind", "status", "is_current"]
    search_fields = ["message"]
    actions = ["recompute_now"]
    change_list_template = "admin/recommendations/generation/change_list.html"

    def has_recompute_permission(self, request: HttpRequest) -> bool:
        # Starting a generation writes one; staff who could add generations
        # by hand (were the admin not read-only) may start them.
        return request.user.has_perm("recommendations.add_generation")

    @admin.action(
        description="Recompute now the kinds of the selected generations",
        permissions=["recompute"],
    )
    def recompute_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        kinds = set(queryset.values_list("kind", flat=True))
        self._recompute(request, [k for k in Kind.values if k in kinds])

    def get_urls(self) -> list[URLPattern]:
        recompute = path(
            "recompute/",
            self.admin_site.admin_view(self.recompute_view),
            name="recommendations_generation_recompute",
        )
        return [recompute, *super().get_urls()]

    def recompute_view(self, request: HttpRequest) -> HttpResponse:
        """Ask which kinds to recompute (GET) and start them (POST)."""
        if not self.has_recompute_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            kinds = [k for k in Kind.values if k in request.POST.getlist("kind")]
            if not kinds:
                self.message_user(request, "Choose a kind.", messages.WARNING)
                return HttpResponseRedirect(request.path)
            self._recompute(request, kinds)
            return HttpResponseRedirect(
                reverse(f"{self.admin_site.name}:recommendations_generation_changelist")
            )

        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Recompute similarities",
            "kinds": Kind.choices,
            "current": {g.kind: g for g in Generation.objects.current()},
        }
        return TemplateResponse(
            request, "admin/recommendations/generation/recompute.html", context
        )

    def _recompute(self, request: HttpRequest, kinds: Iterable[str]) -> None:
        for kind in kinds:
            generation = services.start_generation(kind)
            try:
                tasks.queue_generation(generation.pk)
            except Exception:
                # Run in-process, a failure is raised here; so is a broker
                # that cannot be reached. Either way the generation is now
                # marked failed with the reason, shown below.
                logger.exception("generation %s: recompute failed", generation.pk)
            generation.refresh_from_db()
            level = _MESSAGE_LEVELS.get(generation.status, messages.INFO)
            self.message_user(
                request,
                f"Generation {generation.pk} ({kind}) is {generation.status}"
                + (f" ({generation.rows} rows)" if generation.rows else "")
                + (f": {generation.message}" if generation.message else "."),
                level,
            )


class BaseBlendSettingsForm(forms.ModelForm):
    """Blend settings with `weights` edited as one field per component.

    The weight fields are added by BlendSettingsForm below, named after
    their component, so that the model's weight errors land on them.
    """

    recommendable_states = forms.MultipleChoiceField(
        choices=ProjectState.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=(
            "States a recommended project may be in; live means still open "
            "for backing. None checked means any state."
        ),
    )

    class Meta:
        model = BlendSettings
        fields = ["cold_backers", "recommendable_states"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for component in COMPONENTS:
            self.initial.setdefault(
                component.name, self.instance.weight(component.name)
            )

    def clean_recommendable_states(self) -> list[str]:
        chosen = set(self.cleaned_data["recommendable_states"])
        return [state for state in ProjectState.values if state in chosen]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        names = [c.name for c in COMPONENTS]
        if any(name not in cleaned for name in names):
            return cleaned  # a weight field already has its error

        weights = {name: cleaned[name] for name in names}
        try:
            validate_weights(weights)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
            return cleaned
        # Set only once valid: the model validates the instance again after
        # this, and must then find the stored weights, not the refused ones.
        self.instance.weights = weights
        return cleaned


def _weight_field(component: Component) -> forms.FloatField:
    return forms.FloatField(
        label=f"{component.name.capitalize()} weight",
        min_value=0,
        help_text=Kind(component.name).label,
    )


# Declared on the class, not added per instance, because the admin lays out
# its form from the class's fields. A new component gets its field here
# with no change to this module.
BlendSettingsForm = cast(
    type[BaseBlendSettingsForm],
    ModelFormMetaclass(
        "BlendSettingsForm",
        (BaseBlendSettingsForm,),
        {"__module__": __name__, **{c.name: _weight_field(c) for c in COMPONENTS}},
    ),
)


@admin.register(BlendSettings)
class BlendSettingsAdmin(SingletonModelAdmin):
    form = BlendSettingsForm
    fields = [
        *(c.name for c in COMPONENTS),
        "cold_backers",
        "recommendable_states",
        "updated_at",
    ]
    readonly_fields = ["updated_at"]
