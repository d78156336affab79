"""Pages of the recommendations app, mounted under /projects/ by the root."""

from django.urls import path

from recommendations import views

app_name = "recommendations"

urlpatterns = [
    path(
        "<int:pk>/recommendations/frame/",
        views.RecommendationFrameView.as_view(),
        name="frame",
    ),
]
