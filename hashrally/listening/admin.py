"""Runs and collected posts, read only, for the campaigns an organiser is given."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from hashrally.campaigns.access import campaigns_of
from hashrally.listening.models import CollectionRun, Post, PostMatch, RunProblem


class RunProblemInline(admin.TabularInline):
    model = RunProblem
    fields = ("where", "reason", "created_at")
    readonly_fields = ("where", "reason", "created_at")
    extra = 0
    can_delete = False


@admin.register(CollectionRun)
class CollectionRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "campaign",
        "source",
        "status",
        "pages",
        "read",
        "new",
        "updated",
        "duplicates",
        "errors",
        "stop_reason",
    ]
    list_filter = ["source", "status"]
    list_select_related = ["campaign"]
    readonly_fields = [f.name for f in CollectionRun._meta.fields]
    inlines = [RunProblemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CollectionRun]:
        return super().get_queryset(request).filter(campaign__in=campaigns_of(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "network",
        "author_handle",
        "kind",
        "language",
        "reposts",
        "likes",
    ]
    list_filter = ["network", "kind"]
    search_fields = ["text", "author_handle", "post_id"]
    readonly_fields = [f.name for f in Post._meta.fields]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Post]:
        posts = super().get_queryset(request)
        if request.user.is_superuser:
            return posts
        matches = PostMatch.objects.filter(
            campaign__in=campaigns_of(request.user),
            network=OuterRef("network"),
            post_id=OuterRef("post_id"),
        )
        return posts.filter(Exists(matches))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
