from django.contrib import admin
from django.urls import include, path

from hashrally.site import views
from hashrally.site.twofactor import OrganiserAdminSite

# Every organiser can export personal data, so every admin login needs a second factor: a code
# from an authenticator app (TOTP) or one of their recovery codes (`hashrally two_factor`).
admin.site.__class__ = OrganiserAdminSite
admin.site.site_header = "hashrally"
admin.site.site_title = "hashrally"
# Here rather than when the apps load (settings.py: SimpleAdminConfig): only what serves pages
# needs the admin's modules.
admin.autodiscover()

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's): no 404 for it.
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("", include("hashrally.campaigns.urls")),
    path("", include("hashrally.supporters.urls")),
    path("", include("hashrally.reports.urls")),
]
