"""The front door: creators go to their studio, everyone else sees what CourseDesk is."""

from django.shortcuts import redirect, render


def home(request):
    if request.user.is_authenticated:
        return redirect("studio:home")
    return render(request, "core/home.html")
