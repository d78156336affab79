from rest_framework.routers import DefaultRouter

from recommendations.api import ProjectViewSet

app_name = "api"

router = DefaultRouter()
router.register("projects", ProjectViewSet, basename="project")

urlpatterns = router.urls
