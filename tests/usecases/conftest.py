"""Use-case fixtures: the desk's customer with an enrolment, a payment and a subscription."""

from tests.desk.conftest import (  # noqa: F401  (fixtures shared with the desk tests)
    enrolment,
    monthly_page,
    payment,
    second_course,
    subscription,
)
