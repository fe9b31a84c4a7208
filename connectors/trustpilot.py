"""The Trustpilot connector: a business's own service reviews through the public API.

``GET https://api.trustpilot.com/v1/business-units/{id}/reviews?orderBy=
createdat.desc&perPage=100&page=N`` with the API key in the ``apikey`` header
(``TRUSTPILOT_API_KEY``; the key of an application in the Trustpilot Business
integrations). The business unit is configured by id, or found once per run
from the domain with ``/v1/business-units/find?name=<domain>``. Reviews come
newest first and are read down to the watermark of the last run (see
:mod:`connectors.listing`), the first run's ``lookback_days`` or ``max_pages``.

Limits: Trustpilot allows about 833 requests per 5 minutes and 10,000 per hour
per key; a 429 is retried after ``Retry-After``. A run costs one request per
100 reviews (plus one to find the business unit by domain).
Mapping: stars as the rating, the reviewer's display name as author, likes as
reach, and the reply status (``replied``, ``reply_at``) and verification in
``extra``. Without API access, Trustpilot's CSV export still works as a ``file``
source.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from connectors.base import SourceError
from connectors.http import HttpClient, HttpResponse, recorded_session, safe_url
from connectors.listing import (
    CredentialsError,
    ListingConnector,
    count,
    json_answer,
    language_code,
    parse_time,
)
from cxradar.records import MentionRecord

API_URL = "https://api.trustpilot.com"
FIND = "/v1/business-units/find"
REVIEWS = "/v1/business-units/{unit}/reviews"
REVIEW_URL = "https://www.trustpilot.com/reviews/{id}"
MAX_PER_PAGE = 100
KEY_HINT = (
    "check TRUSTPILOT_API_KEY (Trustpilot Business > Integrations > API: an application's key)"
)
RECORDED_FOLDER = Path(__file__).parent / "recorded" / "trustpilot"
RECORDED_ROUTES = {r"/business-units/find$": "find.json", r"/reviews$": "reviews.json"}


class TrustpilotConnector(ListingConnector):
    """One business unit's reviews since the cursor; see the module docstring."""

    kind = "trustpilot"
    overlap_s = 86400  # reviews held for checks are published days after they were written

    def __init__(
        self,
        *,
        api_key: str,
        business_unit_id: str | None = None,
        domain: str | None = None,
        source: str = "trustpilot",
        brand: str | None = None,
        language: str | None = None,
        per_page: int = MAX_PER_PAGE,
        max_pages: int = 10,
        lookback_days: int = 30,
        base_url: str = API_URL,
        http: HttpClient | None = None,
    ) -> None:
        if not api_key:
            raise ValueError(f"Trustpilot needs an API key: {KEY_HINT}")
        if bool(business_unit_id) == bool(domain):
            raise ValueError(
                "Trustpilot needs exactly one of business_unit_id or domain (e.g. finora.com)"
            )
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
        self._headers = {"apikey": api_key}  # never logged, never in a message
        self.business_unit_id = business_unit_id
        self.domain = domain
        self.source = source
        self.brand = brand
        self.language = language
        self.per_page = per_page
        self.max_pages = max_pages
        self.lookback = timedelta(days=lookback_days)
        self.base_url = base_url.rstrip("/")
        self.http = http or HttpClient()
        self._unit = business_unit_id

    def __repr__(self) -> str:  # never show the key
        return f"TrustpilotConnector(source={self.source!r}, domain={self.domain!r})"

    def start(self, state: dict[str, Any]) -> None:
        if self.business_unit_id:
            self._unit = self.business_unit_id
            return
        response = self._get(self.base_url + FIND, {"name": self.domain or ""})
        if response.status == 404:
            raise SourceError(
                f"{safe_url(response.url)}: Trustpilot knows no business unit for the domain "
                f"{self.domain!r}; check domain (as on trustpilot.com/review/<domain>) or give "
                "business_unit_id"
            )
        document = response.json()
        unit = document.get("id") if isinstance(document, dict) else None
        if not isinstance(unit, str) or not unit:
            raise SourceError(f"{safe_url(response.url)}: the answer has no business unit id")
        self._unit = unit

    def listings(self):
        yield f"reviews:{self._unit}", self._unit

    def read_listing(self, key, spec, reader, found, result) -> None:
        url = self.base_url + REVIEWS.format(unit=quote(spec, safe=""))
        params = {"orderBy": "createdat.desc", "perPage": str(self.per_page)}
        if self.language:
            params["language"] = self.language
        where = f"{self.source}:{key}"
        for page in range(1, self.max_pages + 1):
            params["page"] = str(page)
            response = self._get(url, params)
            if response.status == 404:
                raise SourceError(f"{safe_url(url)}: no such business unit; check the config")
            document = json_answer(response, "reviews", "is base_url Trustpilot's API?")
            reviews = document["reviews"]
            mapped = reader.collect(
                reviews, self._record, found, result.errors, where, (page - 1) * self.per_page + 1
            )
            if not mapped or len(reviews) < self.per_page or not _has_next(document):
                return
        result.notes.append(f"{key}: stopped after {self.max_pages} pages; older reviews are left")

    def _get(self, url: str, params: dict) -> HttpResponse:
        response = self.http.get(
            url,
            params=params,
            headers=self._headers,
            accept=("json",),
            ok_statuses=(200, 401, 403, 404),
        )
        if response.status in (401, 403):
            raise CredentialsError(
                f"{safe_url(url)}: HTTP {response.status}: Trustpilot refused the API key; "
                + KEY_HINT
            )
        return response

    def _record(self, review: Any) -> MentionRecord:
        if not isinstance(review, dict) or not review.get("id"):
            raise ValueError("a review must be a JSON object with an id")
        review_id = str(review["id"])
        stars = review.get("stars")
        if not isinstance(stars, int) or not 1 <= stars <= 5:
            raise ValueError(f"review {review_id}: stars {stars!r} is not 1..5")
        consumer = review.get("consumer") if isinstance(review.get("consumer"), dict) else {}
        reply = review.get("companyReply") if isinstance(review.get("companyReply"), dict) else None
        title = str(review.get("title") or "").strip() or None
        text = str(review.get("text") or "").strip() or (title or "")
        if not text:
            raise ValueError(f"review {review_id} has no text")
        return MentionRecord(
            source=self.source,
            external_id=review_id,
            created_at=parse_time(review.get("createdAt"), f"review {review_id} createdAt"),
            text=text,
            kind="review",
            author=consumer.get("displayName") or None,
            title=title,
            url=REVIEW_URL.format(id=review_id),
            rating=stars,
            lang=language_code(review.get("language")),
            brand=self.brand,
            reach=count(review.get("numberOfLikes")),
            extra={
                "replied": reply is not None,
                "reply_at": reply.get("createdAt") if reply else None,
                "verified": review.get("isVerified"),
                "consumer_id": consumer.get("id"),
                "business_unit_id": self._unit,
            },
        )


def _has_next(document: dict) -> bool:
    links = document.get("links")
    if not isinstance(links, list):
        return True  # no links given: the page size decides
    return any(isinstance(link, dict) and link.get("rel") == "next-page" for link in links)


def recorded_trustpilot(source: str = "trustpilot") -> TrustpilotConnector:
    """Trustpilot answered from a recorded business unit (found by domain) and its reviews."""
    return TrustpilotConnector(
        api_key="recorded-no-secret",
        domain="nordpay.example",
        source=source,
        brand="Nordpay",
        lookback_days=3650,
        http=HttpClient(session=recorded_session(RECORDED_FOLDER, RECORDED_ROUTES)),
    )
