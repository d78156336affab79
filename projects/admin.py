from django.contrib import admin
from django.db import models

from projects.models import Backer, Backing, Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "state", "backers_count", "deadline"]
    list_filter = ["state", "category"]
    search_fields = ["name", "key", "creator_name"]
    readonly_fields = ["created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Backer)
class BackerAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "created_at"]
    search_fields = ["key", "name"]
    readonly_fields = ["created_at"]


@admin.register(Backing)
class BackingAdmin(admin.ModelAdmin):
    list_display = ["backer", "project", "amount", "state", "backed_at"]
    list_filter = ["state"]
    list_select_related = ["backer", "project"]
    raw_id_fields = ["backer", "project"]
    search_fields = ["backer__key", "project__name"]
    readonly_fields = ["created_at", "updated_at"]
