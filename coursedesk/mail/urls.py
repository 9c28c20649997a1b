"""Creator pages for course emails, under /desk/courses/<id>/…"""

app_name = "mail"
urlpatterns: list = []
