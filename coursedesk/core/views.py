"""The front door: creators go to their studio, everyone else sees what CourseDesk is."""

from django.shortcuts import redirect, render


def home(request):
    if request.user.is_authenticated:
        return redirect("studio:home")
    return render(request, "core/home.html")


def permission_denied(request, exception=None):
    """CourseDesk's 403: a page, or (for a desk dialog opened with htmx) the refusal in the dialog."""
    context = {"exception": str(exception) if exception else ""}
    if request.headers.get("HX-Request") == "true":
        response = render(request, "_403_dialog.html", context, status=403)
        response["HX-Retarget"] = "#dialog"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "403.html", context, status=403)
