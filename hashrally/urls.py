from django.contrib import admin
from django.urls import include, path

from hashrally.campaigns import views as campaign_views

admin.site.site_header = "hashrally"
admin.site.site_title = "hashrally"

urlpatterns = [
    path("healthz", campaign_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("hashrally.campaigns.urls")),
    path("", include("hashrally.supporters.urls")),
    path("", include("hashrally.reports.urls")),
]
