"""Step 2 of a home page: keep the candidates the viewer may see now (one constant SQL
statement over the candidates' ids, ``tweets.visibility.home_rows_with_embedded``, which also
reads the tweets they quote or retweet), reading further when the filter dropped some, and cut
the page with its cursors. The page is the statement's rows; step 3 (display data) is the
caller's: ``tweets.display.rows_for_display`` for the rows, or ``HomePage.as_tweets`` then
``tweets.display.attach_display_data`` for model instances."""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.models import User

from ..models import Tweet
from ..visibility import ROW_ID, home_rows_with_embedded, tweets_from_rows
from .candidates import pull_candidates, redis_candidates
from .store import mark_redis_down, redis_enabled

MAX_FILTER_ROUNDS = 4


@dataclass
class HomePage:
    """One page of a home timeline: the rows of its tweets in display order (newest first;
    typed rows of ``tweets.visibility``'s statements, with their authors and the viewer's
    state), and the bounds for the next (older) and previous (newer) pages, None when there
    are none."""

    rows: list[tuple]
    older_than: int | None
    newer_than: int | None
    source: str
    viewer_id: int
    # The rows of the tweets the page's tweets quote or retweet, read with them (what
    # ``tweets.visibility.embedded_tweets`` gives for them), by id.
    embedded: dict[int, tuple] = field(default_factory=dict)
    # The usernames of the users mentioned in them, read with them (for the hydration).
    usernames: dict[int, str] = field(default_factory=dict)

    def as_tweets(self) -> tuple[list[Tweet], dict[int, Tweet]]:
        """The page's tweets and the tweets they embed (by id) as model instances, for
        ``tweets.display.attach_display_data(tweets, viewer, embedded=...)``."""
        tweets = list(tweets_from_rows(self.rows, self.viewer_id).values())
        return tweets, tweets_from_rows(list(self.embedded.values()), self.viewer_id)


def home_page(*, viewer: User, size: int, before: int | None = None, after: int | None = None) -> HomePage:
    """One page of the viewer's home timeline (see the package docstring).

    ``before``: ids below it, newest first (the next page); ``after``: the ``size`` ids just
    above it, still shown newest first (the previous page). Candidates that the filter
    drops are skipped, reading further (up to a few rounds) to fill the page, so the page
    boundaries are ids and a page never skips or repeats an item when new tweets arrive."""
    ascending = after is not None
    use_redis = redis_enabled() and not ascending
    sources: list[str] = []
    collected: list[tuple] = []
    embedded: dict[int, tuple] = {}
    usernames: dict[int, str] = {}
    bound = after if ascending else before
    exhausted = False
    for _ in range(MAX_FILTER_ROUNDS):
        want = size + 1 - len(collected)
        candidates = None
        if use_redis:
            try:
                candidates = redis_candidates(user_id=viewer.pk, before=bound, limit=want)
            except Exception as exc:  # any Redis failure: answer from PostgreSQL
                mark_redis_down(exc)
            if candidates is None:
                use_redis = False  # below the feed's floor, or Redis failed
        if candidates is None:
            direction = {"after": bound} if ascending else {"before": bound}
            candidates = pull_candidates(user_id=viewer.pk, limit=want, **direction)
        label = "redis" if use_redis else "postgres"
        if label not in sources:
            sources.append(label)
        if not candidates:
            exhausted = True
            break
        visible, loaded, mentioned = home_rows_with_embedded(
            viewer_id=viewer.pk, ids=[candidate.id for candidate in candidates]
        )
        embedded.update(loaded)
        usernames.update(mentioned)
        for candidate in candidates:
            bound = candidate.id
            if candidate.id in visible:
                collected.append(visible[candidate.id])
                if len(collected) > size:
                    break
        if len(collected) > size:
            break
        if len(candidates) < want:
            exhausted = True
            break

    page = collected[:size]
    full = len(collected) > size
    # Where the next read in the same direction starts: after the last item shown when the
    # page is full, else after everything examined (a page emptied by the filter still moves on).
    continue_from = (page[-1][ROW_ID] if full else bound) if (full or not exhausted) else None
    source = "+".join(sources)
    if ascending:
        page.reverse()
        older_than = page[-1][ROW_ID] if page else after + 1
        return HomePage(
            rows=page,
            older_than=older_than,
            newer_than=continue_from,
            source=source,
            viewer_id=viewer.pk,
            embedded=embedded,
            usernames=usernames,
        )
    newer_than = (page[0][ROW_ID] if page else before) if before is not None else None
    return HomePage(
        rows=page,
        older_than=continue_from,
        newer_than=newer_than,
        source=source,
        viewer_id=viewer.pk,
        embedded=embedded,
        usernames=usernames,
    )
