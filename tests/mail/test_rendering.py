"""Creator-written text is data: placeholders substituted and escaped, nothing else evaluated."""

from __future__ import annotations

from coursedesk.audit.services import Actor
from coursedesk.catalog.links import course_links
from coursedesk.mail.rendering import substitute, substitute_html
from coursedesk.mail.services import welcome_email_queue
from tests.factories import make_customer, make_enrolment

INJECTIONS = (
    "{% load static %}{% debug %}{{ settings.SECRET_KEY }} {{ request.user }} {{ first_name|upper }} "
    "{{ customer.password }} {% include 'base.html' %}"
)


def test_template_syntax_is_sent_literally(course, creator, mailbox, settings):
    # given a welcome email full of template syntax and a customer with markup in the name
    course.welcome_email_subject = "{{ settings.SECRET_KEY }} for {{ first_name }}"
    course.welcome_email_body = f"Hi {{{{ first_name }}}}\n{INJECTIONS}"
    course.save()
    customer = make_customer(
        creator,
        email="eve@example.com",
        first_name="<script>x</script>{{ last_name }}",
        last_name="{% debug %}",
    )

    make_enrolment(customer, course)
    welcome_email_queue(customer=customer, course=course, actor=Actor.system(), source="checkout")

    [message] = mailbox.messages
    text, html = mailbox.text(message), mailbox.html(message)
    assert message["Subject"] == "{{ settings.SECRET_KEY }} for <script>x</script>{{ last_name }}"
    assert text == f"Hi <script>x</script>{{{{ last_name }}}}\n{INJECTIONS}"
    assert settings.SECRET_KEY not in text + html + message["Subject"]
    assert "&lt;script&gt;x&lt;/script&gt;{{ last_name }}" in html
    assert "<script>" not in html
    assert "{% load static %}{% debug %}{{ settings.SECRET_KEY }}" in html
    assert "{% include &#x27;base.html&#x27; %}" in html


def test_every_placeholder(course, customer):
    links = course_links(course)
    text = substitute(
        "{{first_name}}|{{ last_name }}|{{ course_title }}|{{ login_url }}|{{ password_reset_url }}|"
        "{{ creator_name }}|{{ unknown }}",
        {
            "first_name": "Zoë",
            "last_name": "Okafor",
            "course_title": course.title,
            "login_url": links["login_url"],
            "password_reset_url": links["password_reset_url"],
            "creator_name": "Maya Studio",
        },
    )
    assert text == (
        f"Zoë|Okafor|Watercolor Foundations|{links['login_url']}|{links['password_reset_url']}|"
        "Maya Studio|{{ unknown }}"
    )


def test_html_part_makes_paragraphs_and_links():
    html = substitute_html(
        "Hi {{ first_name }} & co\n\nGo to {{ login_url }}",
        {"first_name": "A<b>", "login_url": "https://example.com/c/x/login/"},
    )
    assert html == (
        "<p>Hi A&lt;b&gt; &amp; co</p>\n\n"
        '<p>Go to <a href="https://example.com/c/x/login/">https://example.com/c/x/login/</a></p>'
    )
