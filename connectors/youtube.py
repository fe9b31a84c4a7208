"""The YouTube connector: comments and replies on configured videos and channels (Data API v3).

``GET /youtube/v3/commentThreads?part=snippet,replies&order=time&textFormat=
plainText&maxResults=100`` with ``videoId`` (one video) or
``allThreadsRelatedToChannelId`` (every video of a channel), newest thread first,
followed by ``pageToken`` down to the watermark of the last run (see
:mod:`connectors.listing`). A new thread brings its replies; when it has more
than the few embedded ones, ``comments?parentId=…`` pages fetch the rest.
Replies added later to a thread read before are not fetched again.

The API key (``YOUTUBE_API_KEY``) travels in the ``X-Goog-Api-Key`` header,
never in a URL. **Quota**: every request costs 1 unit (``commentThreads.list``
and ``comments.list``; retries and failed requests too) of the project's daily
quota (10,000 by default; it resets at midnight Pacific time). The cursor counts
the units used per Pacific day, and a run stops *before* the configured
``daily_quota`` with a note saying so; the next day continues from the cursor.
A ``quotaExceeded`` answer (another app spent the quota) stops the run the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.base import SourceError
from connectors.http import HttpClient, HttpResponse, recorded_session, safe_url
from connectors.listing import (
    CredentialsError,
    ListingConnector,
    StopReading,
    count,
    error_reason,
    json_answer,
    parse_time,
)
from cxradar.records import MentionRecord

API = "/youtube/v3"
WATCH_URL = "https://www.youtube.com/watch?v={video}&lc={comment}"
QUOTA_TIMEZONE = ZoneInfo("America/Los_Angeles")  # Google resets the quota at midnight PT
DEFAULT_DAILY_QUOTA = 10_000
MAX_RESULTS = 100
KEY_HINT = (
    "check YOUTUBE_API_KEY (Google Cloud console > APIs and services > Credentials; "
    "enable 'YouTube Data API v3' for its project)"
)
KEY_REASONS = frozenset(
    {"keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked", "forbidden"}
)
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "youtube"
RECORDED_ROUTES = {r"/commentThreads$": "comment_threads.json", r"/comments$": "replies.json"}


class YouTubeConnector(ListingConnector):
    """Comments on videos and channels since the cursor, within the daily quota."""

    kind = "youtube"
    overlap_s = 3600  # comments held for review appear later with their first time

    def __init__(
        self,
        *,
        api_key: str,
        video_ids: Iterable[str] = (),
        channel_ids: Iterable[str] = (),
        source: str = "youtube",
        brand: str | None = None,
        daily_quota: int = DEFAULT_DAILY_QUOTA,
        max_pages: int = 10,
        max_reply_pages: int = 1,
        lookback_days: int = 30,
        base_url: str = "https://www.googleapis.com",
        http: HttpClient | None = None,
        now=None,
    ) -> None:
        if not api_key:
            raise ValueError(f"YouTube needs an API key: {KEY_HINT}")
        self.video_ids = [v.strip() for v in video_ids if v.strip()]
        self.channel_ids = [c.strip() for c in channel_ids if c.strip()]
        if not self.video_ids and not self.channel_ids:
            raise ValueError("YouTube needs video_ids or channel_ids to read")
        if daily_quota < 1:
            raise ValueError(f"daily_quota must be at least 1, got {daily_quota}")
        self._headers = {"X-Goog-Api-Key": api_key}  # never logged, never in a message
        self.source = source
        self.brand = brand
        self.daily_quota = daily_quota
        self.max_pages = max_pages
        self.max_reply_pages = max_reply_pages
        self.lookback = timedelta(days=lookback_days)
        self.base_url = base_url.rstrip("/") + API
        self.http = http or HttpClient()
        self._now = now or (lambda: datetime.now(UTC))
        self._day, self._units = "", 0

    def __repr__(self) -> str:  # never show the key
        return f"YouTubeConnector(source={self.source!r}, videos={len(self.video_ids)})"

    def start(self, state: dict[str, Any]) -> None:
        self._day = self._now().astimezone(QUOTA_TIMEZONE).date().isoformat()
        used = state.get("quota_units")
        same_day = state.get("quota_day") == self._day and isinstance(used, int)
        self._units = used if same_day else 0

    def cursor_state(self) -> dict[str, Any]:
        return {"quota_day": self._day, "quota_units": self._units}

    def listings(self):
        for video in self.video_ids:
            yield f"video:{video}", {"videoId": video}
        for channel in self.channel_ids:
            yield f"channel:{channel}", {"allThreadsRelatedToChannelId": channel}

    def read_listing(self, key, spec, reader, found, result) -> None:
        params = {
            **spec,
            "part": "snippet,replies",
            "order": "time",
            "textFormat": "plainText",
            "maxResults": str(MAX_RESULTS),
        }
        where = f"{self.source}:{key}"
        for page in range(self.max_pages):
            document = self._call("commentThreads", params)
            threads = document["items"]
            replies: dict[str, tuple[dict, list]] = {}
            before = set(found)
            mapped = reader.collect(
                threads,
                partial(self._thread, replies=replies),
                found,
                result.errors,
                where,
                first_line=page * MAX_RESULTS + 1,
            )
            for thread_id in set(found) - before:
                thread, embedded = replies[thread_id]
                for reply in self._replies(thread, embedded):
                    found.setdefault(reply.external_id, reply)
            token = document.get("nextPageToken")
            if not mapped or not threads or not isinstance(token, str) or not token:
                return
            params["pageToken"] = token
        result.notes.append(f"{key}: stopped after {self.max_pages} pages; older threads are left")

    def _thread(self, thread: Any, replies: dict) -> MentionRecord:
        snippet = thread.get("snippet") if isinstance(thread, dict) else None
        top = snippet.get("topLevelComment") if isinstance(snippet, dict) else None
        if not isinstance(top, dict):
            raise ValueError("a comment thread without its top-level comment")
        record = self._comment(top, reply_count=snippet.get("totalReplyCount"))
        embedded = (thread.get("replies") or {}).get("comments") or []
        replies[record.external_id] = (thread, embedded)
        return record

    def _replies(self, thread: dict, embedded: list) -> list[MentionRecord]:
        """A new thread's replies: the embedded ones, or all of them when more exist."""
        total = thread["snippet"].get("totalReplyCount") or 0
        comments = list(embedded)
        if total > len(embedded):
            comments = self._all_replies(str(thread.get("id")))
        mapped = []
        for comment in comments:
            try:
                mapped.append(self._comment(comment))
            except (ValueError, TypeError, KeyError, AttributeError):
                continue  # an unreadable reply; the thread itself was stored
        return mapped

    def _all_replies(self, thread_id: str) -> list:
        params = {
            "part": "snippet",
            "parentId": thread_id,
            "textFormat": "plainText",
            "maxResults": str(MAX_RESULTS),
        }
        comments: list = []
        for _ in range(self.max_reply_pages):
            document = self._call("comments", params)
            comments.extend(document["items"])
            token = document.get("nextPageToken")
            if not isinstance(token, str) or not token:
                break
            params["pageToken"] = token
        return comments

    def _call(self, method: str, params: dict) -> dict:
        if self._units + 1 > self.daily_quota:
            raise StopReading(
                f"stopped before the daily quota: {self._units} of {self.daily_quota} units "
                "used today (Pacific time); the next run after midnight Pacific continues"
            )
        before = self.http.requests_made
        try:
            response = self.http.get(
                f"{self.base_url}/{method}",
                params=params,
                headers=self._headers,
                accept=("json",),
                ok_statuses=(200, 400, 403, 404),
            )
        finally:
            self._units += self.http.requests_made - before  # every request costs, failed too
        if response.status != 200:
            self._refused(response)
        return json_answer(response, "items", "is base_url Google's API host?")

    def _refused(self, response: HttpResponse) -> None:
        reason, message = error_reason(response)
        where = safe_url(response.url)
        if reason in QUOTA_REASONS:
            self._units = max(self._units, self.daily_quota)  # nothing more today
            raise StopReading(
                f"YouTube answered that the daily quota is used up ({reason}); the next run "
                "after midnight Pacific continues (raise the quota in the Google Cloud console)"
            )
        if reason in RATE_REASONS:
            raise StopReading(f"YouTube rate limit reached ({reason}); the next run continues")
        if reason in KEY_REASONS or "api key" in message.lower():
            raise CredentialsError(f"{where}: YouTube refused the API key ({reason}); {KEY_HINT}")
        hints = {
            "commentsDisabled": "comments are turned off for this video",
            "videoNotFound": "no such video: check video_ids in the config",
            "channelNotFound": "no such channel: check channel_ids in the config",
            "badRequest": "the request was rejected: check video_ids and channel_ids",
        }
        why = hints.get(reason, "YouTube refused this listing")
        raise SourceError(f"{where}: HTTP {response.status} {reason}: {why}")

    def _comment(self, comment: Any, reply_count: Any = None) -> MentionRecord:
        if not isinstance(comment, dict) or not comment.get("id"):
            raise ValueError("a comment must be a JSON object with an id")
        comment_id = str(comment["id"])
        snippet = comment.get("snippet")
        if not isinstance(snippet, dict):
            raise ValueError(f"comment {comment_id} has no snippet")
        text = str(snippet.get("textDisplay") or snippet.get("textOriginal") or "").strip()
        if not text:
            raise ValueError(f"comment {comment_id} has no text")
        video = snippet.get("videoId")
        channel = snippet.get("authorChannelId")
        return MentionRecord(
            source=self.source,
            external_id=comment_id,
            created_at=parse_time(snippet.get("publishedAt"), f"comment {comment_id} publishedAt"),
            text=text,
            kind="comment",
            author=snippet.get("authorDisplayName") or None,
            url=WATCH_URL.format(video=video, comment=comment_id) if video else None,
            brand=self.brand,
            reach=count(snippet.get("likeCount")),
            extra={
                "video_id": video,
                "channel_id": snippet.get("channelId"),
                "parent_id": snippet.get("parentId"),
                "reply_count": reply_count,
                "author_channel_id": channel.get("value") if isinstance(channel, dict) else None,
            },
        )


def recorded_youtube(source: str = "youtube") -> YouTubeConnector:
    """YouTube answered from recorded comment threads on a Nordpay video, and their replies."""
    return YouTubeConnector(
        api_key="recorded-no-secret",
        video_ids=["nPdemo2026x"],
        source=source,
        brand="Nordpay",
        lookback_days=3650,
        http=HttpClient(session=recorded_session(RECORDED_FOLDER, RECORDED_ROUTES)),
    )
