"""The Google Play connector: an app's newest reviews via ``google-play-scraper``.

Google Play has no public reviews API; the library speaks the Play web app's
``batchexecute`` protocol with its own urllib code (not :class:`HttpClient`).
We use the library's page fetcher and its review parser, but not its
``reviews()`` wrapper: that one turns every failure (HTTP 5xx, rate limits,
an answer it cannot read) into "no more reviews", so an outage would look like
a quiet app. Around the page fetcher we add what ``HttpClient`` gives the other
connectors: bounded retries with backoff, a timeout, and clear error messages.

Times: Play sends each review's time as Unix seconds. The library turns them
into *naive local* datetimes of whatever machine runs it; we read the seconds
ourselves and make them UTC, so results do not depend on the host's time zone.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from google_play_scraper import Sort
from google_play_scraper.constants.element import ElementSpecs
from google_play_scraper.exceptions import ExtraHTTPError, NotFoundError
from google_play_scraper.features.reviews import _fetch_review_items
from google_play_scraper.utils import nested_lookup

from connectors.appstore import ReviewCursor
from connectors.base import FetchResult, SourceError
from cxradar.records import MentionRecord, RowError

# Importing google_play_scraper switches off TLS certificate checks for every urllib
# HTTPS request in the process (utils/request.py); switch them back on.
ssl._create_default_https_context = ssl.create_default_context

PLAY_BASE_URL = "https://play.google.com"
REVIEWS_PATH = "/_/PlayStoreUi/data/batchexecute"
RECORDED_FILE = Path(__file__).parent / "recorded" / "googleplay" / "reviews.json"
RATE_LIMITED = "PlayGatewayError"  # what Play answers (with HTTP 200) when throttling

# (url, app_id, count, pagination token) -> (raw review items, next token or None)
PageFetcher = Callable[[str, str, int, "str | None"], "tuple[list, str | None]"]


def library_page_fetcher(url: str, app_id: str, count: int, token: str | None):
    """One page of newest reviews, fetched and unpacked by google-play-scraper."""
    newest = Sort.NEWEST.value
    items, next_token = _fetch_review_items(url, app_id, newest, count, None, None, token)
    # The library signals "last page" with a non-string token; normalise to None.
    return items, (next_token if isinstance(next_token, str) and next_token else None)


class GooglePlayConnector:
    """Reviews (kind "review", rating 1..5, thumbs-up as reach) of one Google Play app."""

    kind = "googleplay"

    def __init__(
        self,
        app_id: str,
        *,
        lang: str = "en",
        country: str = "us",
        source: str = "googleplay",
        brand: str | None = None,
        batch: int = 200,
        max_reviews: int = 2000,
        base_url: str = PLAY_BASE_URL,
        max_retries: int = 3,
        backoff: float = 2.0,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        fetch_page: PageFetcher | None = None,
    ) -> None:
        self.app_id = app_id
        self.lang = lang
        self.country = country
        self.source = source
        self.brand = brand
        self.batch = max(1, batch)
        self.max_reviews = max(1, max_reviews)
        self.url = f"{base_url.rstrip('/')}{REVIEWS_PATH}?hl={lang}&gl={country}"
        self.max_retries = max_retries
        self.backoff = backoff
        self.timeout = timeout
        self.sleep = sleep
        self.fetch_page = fetch_page or library_page_fetcher

    @property
    def where(self) -> str:
        return f"Google Play reviews of {self.app_id} ({self.lang}-{self.country})"

    def fetch(self, cursor: str | None) -> FetchResult:
        since = ReviewCursor.load(cursor)
        result = FetchResult()
        token: str | None = None
        position = 0
        seen: set[str] = set()
        while len(result.records) < self.max_reviews:
            count = min(self.batch, self.max_reviews - len(result.records))
            items, token = self._page(count, token, result)
            items = items[:count]  # never more than asked, so max_reviews holds
            before = len(result.records)
            reached_cursor = self._collect(items, position, since, seen, result)
            position += len(items)
            if items and len(result.records) == before and not reached_cursor:
                # Only repeats (or unreadable items): a looping token would never end.
                result.notes.append("Google Play sent no new reviews on a page; stopped paging")
                break
            if reached_cursor or not items or not token:
                break
        result.cursor = since.advanced_by(result.records).dump()
        return result

    def _collect(self, items, position: int, since: ReviewCursor, seen: set, result) -> bool:
        """Map one page; True once a review the cursor covers is reached (newest first)."""
        for offset, raw in enumerate(items, start=position + 1):
            try:
                record = self._map(raw)
            except (ValueError, TypeError) as exc:
                result.errors.append(RowError(self.where, offset, f"review skipped: {exc}"))
                continue
            if since.covers(record):
                return True
            if record.external_id not in seen:  # Play pages sometimes repeat reviews
                seen.add(record.external_id)
                result.records.append(record)
        return False

    def _map(self, raw) -> MentionRecord:
        review = {key: spec.extract_content(raw) for key, spec in ElementSpecs.Review.items()}
        review_id = review.get("reviewId")
        if not isinstance(review_id, str) or not review_id:
            raise ValueError("no review id")
        rating = review.get("score")
        if not isinstance(rating, int) or not 1 <= rating <= 5:
            raise ValueError(f"rating {rating!r} is not between 1 and 5")
        seconds = nested_lookup(raw, ElementSpecs.Review["at"].data_map)
        if not isinstance(seconds, int | float):
            raise ValueError("no review time")
        thumbs = review.get("thumbsUpCount")
        version = review.get("reviewCreatedVersion") or review.get("appVersion")
        return MentionRecord(
            source=self.source,
            external_id=review_id,
            created_at=datetime.fromtimestamp(seconds, UTC),
            text=review.get("content") or "",
            kind="review",
            author=review.get("userName") or None,
            url=f"{PLAY_BASE_URL}/store/apps/details?id={self.app_id}&reviewId={review_id}",
            rating=rating,
            lang=None,  # Play filters by the requested language only loosely; detection decides
            brand=self.brand,
            reach=thumbs if isinstance(thumbs, int) else None,
            extra={"version": version, "country": self.country, "requested_lang": self.lang},
        )

    def _page(self, count: int, token: str | None, result: FetchResult):
        for attempt in range(self.max_retries + 1):
            result.requests += 1
            try:
                return self._call_with_timeout(count, token)
            except SourceError:
                raise
            except Exception as exc:  # the library raises bare Exceptions too
                retryable, why = _classify(exc)
                if not retryable:
                    raise SourceError(f"{self.where}: {why}") from None
                if attempt == self.max_retries:
                    raise SourceError(
                        f"{self.where}: {why}, still failing after {attempt + 1} tries; "
                        "the next scheduled run will try again"
                    ) from None
                self.sleep(self.backoff * (2**attempt))
        raise AssertionError("unreachable")

    def _call_with_timeout(self, count: int, token: str | None):
        # The library's urllib calls have no timeout; run them in a daemon thread so a
        # hung connection costs one timeout, not the whole pipeline run.
        outcome: dict = {}

        def call() -> None:
            try:
                outcome["value"] = self.fetch_page(self.url, self.app_id, count, token)
            except BaseException as exc:  # handed back to the calling thread
                outcome["error"] = exc

        worker = threading.Thread(target=call, name="googleplay-fetch", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            raise TimeoutError(f"no answer within {self.timeout:.0f} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]


def _classify(exc: BaseException) -> tuple[bool, str]:
    """(worth retrying, what happened) for an error from the library."""
    if isinstance(exc, NotFoundError):
        return False, "app not found (HTTP 404); check the app id in the config"
    if isinstance(exc, ExtraHTTPError):
        status = re.search(r"\d{3}", str(exc))
        code = int(status.group()) if status else 0
        if code == 429 or code >= 500:
            return True, f"HTTP {code} from Google Play"
        return False, f"HTTP {code} from Google Play; check the app id, lang and country"
    if RATE_LIMITED in str(exc):
        return True, "rate limited by Google Play"
    if isinstance(exc, OSError):  # URLError, timeouts, refused or reset connections
        return True, f"no answer ({type(exc).__name__})"
    return False, (
        f"Google Play answered in a shape google-play-scraper cannot read "
        f"({type(exc).__name__}); upgrade google-play-scraper"
    )


def recorded_googleplay() -> GooglePlayConnector:
    """An offline Google Play connector serving recorded Nordpay reviews (Play's raw shape)."""
    pages = json.loads(RECORDED_FILE.read_text(encoding="utf-8"))["pages"]

    def recorded_page(url: str, app_id: str, count: int, token: str | None):
        index = int(token or 0)
        items = pages[index] if index < len(pages) else []
        return items[:count], str(index + 1) if index + 1 < len(pages) else None

    return GooglePlayConnector(
        "com.nordpay.app", lang="de", country="de", brand="Nordpay", fetch_page=recorded_page
    )
