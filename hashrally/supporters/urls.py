from django.urls import path

from hashrally.supporters import views

app_name = "supporters"

urlpatterns = [
    path("c/<slug:slug>/join", views.join, name="join"),
    path("c/<slug:slug>/thanks", views.thanks, name="thanks"),
    path("c/<slug:slug>/proof", views.proof, name="proof"),
    path("c/<slug:slug>/confirm/<str:token>", views.confirm, name="confirm"),
    path("c/<slug:slug>/counts.json", views.counts_json, name="counts_json"),
    path("c/<slug:slug>/altcha", views.altcha_challenge, name="altcha"),
    path("c/<slug:slug>/map.svg", views.map_svg, name="map"),
    path("c/<slug:slug>/card.png", views.card_png, name="card"),
    path("c/<slug:slug>/supporters", views.names, name="names"),
    path("c/<slug:slug>/my-data", views.request_my_data, name="request_my_data"),
    path("me/<str:token>", views.my_data, name="my_data"),
    path("stop/<str:token>", views.unsubscribe, name="unsubscribe"),
]
