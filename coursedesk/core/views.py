"""The front door: creators go to their desk, everyone else sees what CourseDesk is."""

from django.shortcuts import redirect, render


def home(request):
    if request.user.is_authenticated:
        return redirect("desk:activity")
    return render(request, "core/home.html")
