"""Student payment pages: update the card of a subscription, cancel recurring payments."""

from django.http import HttpResponse

from coursedesk.classroom.auth import student_required


@student_required
def billing(request, *, course, student):
    return HttpResponse("Billing is not built yet.", status=501)


@student_required
def cancel(request, *, course, student):
    return HttpResponse("Cancelling is not built yet.", status=501)
