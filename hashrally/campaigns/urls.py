from django.urls import path

from hashrally.campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.index, name="index"),
    path("c/<slug:slug>/", views.detail, name="detail"),
    path("c/<slug:slug>/go/<slug:network>", views.go, name="go"),
    path("c/<slug:slug>/compose", views.compose, name="compose"),
]
