"""Plain text to the HTML Mastodon clients render: escaped, paragraphs and line breaks, and
links for mentions of known accounts and for hashtags (with Mastodon's classes)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.utils.html import escape

TOKEN = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,30})\b|(?<![\w#&])#(\w{1,100})", re.UNICODE)


def text_to_html(
    text: str,
    *,
    mentions: Iterable[str] = (),
    hashtags: Iterable[str] = (),
    account_url: Callable[[str], str],
    tag_url: Callable[[str], str],
) -> str:
    """``text`` as ``<p>`` paragraphs; ``@name`` becomes a link when ``name`` is among ``mentions``
    and ``#tag`` when ``tag`` is among ``hashtags`` (both without regard to case)."""
    if not text:
        return ""
    known_mentions = {name.lower() for name in mentions}
    known_tags = {tag.lower() for tag in hashtags}

    def render(chunk: str) -> str:
        out: list[str] = []
        position = 0
        for match in TOKEN.finditer(chunk):
            out.append(escape(chunk[position : match.start()]))
            name, tag = match.group(1), match.group(2)
            if name and name.lower() in known_mentions:
                out.append(
                    f'<span class="h-card"><a href="{escape(account_url(name))}" class="u-url mention">'
                    f"@<span>{escape(name)}</span></a></span>"
                )
            elif tag and tag.lower() in known_tags:
                link = escape(tag_url(tag))
                out.append(f'<a href="{link}" class="mention hashtag" rel="tag">#<span>{escape(tag)}</span></a>')
            else:
                out.append(escape(match.group(0)))
            position = match.end()
        out.append(escape(chunk[position:]))
        return "".join(out)

    paragraphs = [part for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]
    return "".join("<p>" + "<br />".join(render(line) for line in part.split("\n")) + "</p>" for part in paragraphs)
