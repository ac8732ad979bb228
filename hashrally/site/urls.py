from django.contrib import admin
from django.urls import include, path

from hashrally.site import views

admin.site.site_header = "hashrally"
admin.site.site_title = "hashrally"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("hashrally.campaigns.urls")),
    path("", include("hashrally.supporters.urls")),
    path("", include("hashrally.reports.urls")),
]
