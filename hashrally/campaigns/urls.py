from django.urls import path, re_path

from hashrally.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="index"),
    path("c/<slug:slug>/", views.detail, name="detail"),
    path("c/<slug:slug>/go/<slug:network>", views.go, name="go"),
    path("c/<slug:slug>/compose", views.compose, name="compose"),
    path("c/<slug:slug>/reply/<int:post>", views.reply, name="reply"),
    path("c/<slug:slug>/moment.ics", views.moment_ics, name="moment_ics"),
    re_path(
        r"^c/(?P<slug>[-\w]+)/hero-(?P<digest>[0-9a-f]{16})-(?P<size>large|small)\.jpg$",
        views.hero,
        name="hero",
    ),
]
