from django.conf import settings


def coursedesk(request):
    return {"site_url": settings.SITE_URL, "debug": settings.DEBUG}
