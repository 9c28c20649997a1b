"""Lesson videos: a fixed allowlist of hosts, each turned into the one embed address it allows.

The embed addresses' origins are the only frames the Content-Security-Policy allows (`frame-src`),
so a video from anywhere else never plays, whatever got stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from coursedesk.core.errors import InvalidValue

# Origins of the embeds below: settings' Content-Security-Policy lists exactly these in frame-src.
EMBED_ORIGINS = (
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
    "https://fast.wistia.net",
    "https://www.loom.com",
)
ALLOWED_DESCRIPTION = "YouTube, Vimeo, Wistia, Loom, or a direct link to an .mp4 file (https)"

_ID = re.compile(r"^[A-Za-z0-9_-]{4,64}$")


@dataclass(frozen=True)
class VideoEmbed:
    kind: str  # "iframe" or "mp4"
    src: str


def _youtube(host: str, path: str, query: str) -> str | None:
    if host in {"youtu.be"}:
        video = path.strip("/").split("/")[0]
    elif host in {"youtube.com", "www.youtube.com", "m.youtube.com", "www.youtube-nocookie.com"}:
        parts = path.strip("/").split("/")
        if parts[0] == "watch":
            video = (parse_qs(query).get("v") or [""])[0]
        elif parts[0] in {"embed", "shorts", "live"} and len(parts) > 1:
            video = parts[1]
        else:
            return None
    else:
        return None
    return f"https://www.youtube-nocookie.com/embed/{video}" if _ID.match(video) else None


def _vimeo(host: str, path: str, query: str) -> str | None:
    parts = path.strip("/").split("/")
    if host in {"vimeo.com", "www.vimeo.com"} and parts[0].isdigit():
        video = parts[0]
    elif host == "player.vimeo.com" and parts[0] == "video" and len(parts) > 1 and parts[1].isdigit():
        video = parts[1]
    else:
        return None
    return f"https://player.vimeo.com/video/{video}"


def _wistia(host: str, path: str, query: str) -> str | None:
    parts = path.strip("/").split("/")
    if host.endswith((".wistia.com", ".wi.st")) and parts[0] == "medias" and len(parts) > 1:
        video = parts[1]
    elif host == "fast.wistia.net" and parts[:2] == ["embed", "iframe"] and len(parts) > 2:
        video = parts[2]
    else:
        return None
    return f"https://fast.wistia.net/embed/iframe/{video}" if _ID.match(video) else None


def _loom(host: str, path: str, query: str) -> str | None:
    parts = path.strip("/").split("/")
    if host in {"loom.com", "www.loom.com"} and parts[0] in {"share", "embed"} and len(parts) > 1:
        video = parts[1]
        return f"https://www.loom.com/embed/{video}" if _ID.match(video) else None
    return None


def video_embed(url: str) -> VideoEmbed | None:
    """The embed of an allowed video address; None for anything else (never raises)."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password or parts.port:
        return None
    host = parts.hostname.lower()
    for host_rule in (_youtube, _vimeo, _wistia, _loom):
        src = host_rule(host, parts.path, parts.query)
        if src:
            return VideoEmbed("iframe", src)
    if parts.path.lower().endswith(".mp4") and not any(char in url for char in "\"'<> "):
        return VideoEmbed("mp4", url.strip())
    return None


def video_url_clean(url: str) -> str:
    """The address as stored, or a refusal that names what is allowed."""
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > 500 or video_embed(url) is None:
        raise InvalidValue(
            f"This video address is not supported. Use {ALLOWED_DESCRIPTION}.", code="video_url_not_allowed"
        )
    return url
