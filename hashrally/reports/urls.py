from django.urls import path

from hashrally.reports import views

app_name = "reports"

urlpatterns = [
    path("c/<slug:slug>/dashboard", views.dashboard, name="dashboard"),
    path("c/<slug:slug>/dashboard/report.json", views.report_json, name="report_json"),
    path("c/<slug:slug>/dashboard/report.pdf", views.report_pdf, name="report_pdf"),
    path("c/<slug:slug>/dashboard/posts.csv", views.posts_csv, name="posts_csv"),
    path("c/<slug:slug>/dashboard/authors.csv", views.authors_csv, name="authors_csv"),
    path("c/<slug:slug>/results", views.results, name="results"),
    path("c/<slug:slug>/wall", views.wall_page, name="wall"),
    path("c/<slug:slug>/wall/moderate", views.wall_moderate, name="wall_moderate"),
]
