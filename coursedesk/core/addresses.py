"""`id_url('desk:payment_refund', payment.pk)` in a page: an address whose arguments are ids,
without reversing it every time; `id_url('desk:activity')` for one with none (the menu of every
page)."""

import functools
import threading

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.encoding import iri_to_uri

# Stand-ins for the ids while an address is reversed once; long enough not to occur in a prefix.
_STAND_IN = 987_654_321_012_345
_patterns: dict[tuple, str | None] = {}
_patterns_lock = threading.Lock()


def _url_pattern(name: str, count: int, urlconf) -> str | None:
    """The address of `name` with `count` whole-number arguments, after the script prefix, as a
    str.format pattern: reversed once per URL configuration (in the key); None if the stand-ins
    cannot be told apart from the rest of the address."""
    key = (name, count, urlconf)
    try:
        return _patterns[key]
    except KeyError:
        pass
    stand_ins = [str(_STAND_IN + i) for i in range(count)]
    url = reverse(name, args=stand_ins, urlconf=urlconf)
    prefix = _quoted(get_script_prefix())
    if not url.startswith(prefix):  # not kept: another prefix may well be told apart
        return None
    path = url[len(prefix) :]
    if any(path.count(stand_in) != 1 for stand_in in stand_ins):
        pattern = None
    else:
        pattern = path.replace("{", "{{").replace("}", "}}")
        for i, stand_in in enumerate(stand_ins):
            pattern = pattern.replace(stand_in, f"{{{i}}}")
    with _patterns_lock:
        _patterns[key] = pattern
    return pattern


@functools.lru_cache(maxsize=64)
def _quoted(prefix: str) -> str:
    """The script prefix as reverse() writes it at the start of an address."""
    return iri_to_uri(prefix)


def _address(name: str, args: tuple, urlconf, prefix: str) -> str:
    for arg in args:
        if type(arg) is not int or arg < 0:
            return reverse(name, args=args, urlconf=urlconf)
    pattern = _url_pattern(name, len(args), urlconf)
    if pattern is None:
        return reverse(name, args=args, urlconf=urlconf)
    return _quoted(prefix) + pattern.format(*args)


def id_url(name: str, *args) -> str:
    """The same address as `url(name, *args)`, made by putting the ids into the address reversed
    once (a quarter of the time): the profile has one per row of its lists and per dialog. Arguments
    other than whole numbers (0 and up) are reversed as `url()` would."""
    return _address(name, args, get_urlconf(), get_script_prefix())


def id_url_here():
    """`id_url` for one page: the request's URL configuration and script prefix read once rather
    than at each of the page's addresses (reading them is most of what an id_url costs)."""
    urlconf, prefix = get_urlconf(), get_script_prefix()

    def id_url(name: str, *args) -> str:
        return _address(name, args, urlconf, prefix)

    return id_url
