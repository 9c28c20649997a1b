"""Courses of the signed-in creator."""

from __future__ import annotations

from ninja import Router, Schema

from coursedesk.catalog.models import Course

router = Router(tags=["courses"])


class CourseCounts(Schema):
    active: int
    revoked: int
    expired: int


class CourseOut(Schema):
    id: str
    title: str
    slug: str
    published: bool
    counts: CourseCounts


class CourseList(Schema):
    results: list[CourseOut]
    next: str | None


@router.get("", response=CourseList, summary="The creator's courses with student counts")
def course_list(request):
    from coursedesk.catalog.selectors import course_student_counts

    courses = list(Course.objects.for_creator(request.auth))
    counts = course_student_counts(courses=courses)
    return {
        "results": [
            {"id": str(course.pk), "title": course.title, "slug": course.slug,
             "published": course.published, "counts": counts[course.pk]}
            for course in courses
        ],
        "next": None,
    }
