"""One Dagster resource per external source system, each live or recorded (offline).

The live resources build the plain-Python clients in ``connectors/`` with the
credentials Dagster resolves from environment variables (``dg.EnvVar``); the
recorded ones build the same clients answered from documents bundled in
``connectors/recorded/``, so demos and air-gapped trials run the real mapping
code without the internet (as Dagster's Hacker News snapshot client does).

Client modules are imported when a source of their type is used, so a
missing optional part never stops the others.
"""

import os
from datetime import UTC, datetime, timedelta

import dagster as dg

from connectors.base import Connector, SourceError
from connectors.http import REQUEST_DEADLINE_S, SOURCE_DEADLINE_S, HttpClient, guarded_session
from cxradar.config import (
    AppStoreSource,
    Brand,
    FeedSource,
    GooglePlaySource,
    RedditSource,
    ZendeskTicketSource,
)

RECORDED_ENV = "CXRADAR_RECORDED_SOURCES"


class HttpSourceResource(dg.ConfigurableResource):
    """Settings shared by sources read over plain HTTP (see connectors/http.py)."""

    timeout_s: float = 20.0  # per read
    retries: int = 4  # per request, on 429/5xx/timeouts, honouring Retry-After
    backoff_s: float = 1.0
    deadline_s: float = REQUEST_DEADLINE_S  # per request, redirects, headers and body included
    source_deadline_s: float = SOURCE_DEADLINE_S  # per source and run, retries included

    def http(self, source=None) -> HttpClient:
        """A client for one source (its deadline starts with its first request)."""
        return HttpClient(
            timeout=self.timeout_s,
            max_retries=self.retries,
            backoff=self.backoff_s,
            deadline_s=self.deadline_s,
            source_deadline_s=self.source_deadline_s,
            allow_private_network=getattr(source, "allow_private_network", False),
        )


class FeedsResource(HttpSourceResource):
    """RSS and Atom feeds over HTTP."""

    def connector(self, source: FeedSource) -> Connector:
        from connectors.feeds import FeedConnector

        return FeedConnector(
            source.url,
            source=source.name,
            keywords=source.keywords,
            brand=source.brand,
            http=self.http(source),
        )


class RecordedFeedsResource(FeedsResource):
    """Serves the bundled recorded feeds for any configured feed URL."""

    def connector(self, source: FeedSource) -> Connector:
        from connectors.feeds import recorded_feeds

        return _renamed(recorded_feeds()[0], source.name)


class AppStoreResource(HttpSourceResource):
    """Apple's public customer-reviews feed (no credentials)."""

    base_url: str = "https://itunes.apple.com"

    def connector(self, source: AppStoreSource) -> Connector:
        from connectors.appstore import AppStoreConnector

        return AppStoreConnector(
            source.app_id,
            country=source.country,
            source=source.name,
            brand=source.brand,
            max_pages=source.max_pages,
            base_url=self.base_url,
            http=self.http(source),
        )


class RecordedAppStoreResource(AppStoreResource):
    def connector(self, source: AppStoreSource) -> Connector:
        from connectors.appstore import recorded_appstore

        return _renamed(recorded_appstore(), source.name)


class GooglePlayResource(dg.ConfigurableResource):
    """Google Play reviews through google-play-scraper (no credentials)."""

    base_url: str = "https://play.google.com"

    def connector(self, source: GooglePlaySource) -> Connector:
        from connectors.googleplay import GooglePlayConnector

        return GooglePlayConnector(
            source.app_id,
            lang=source.lang,
            country=source.country,
            source=source.name,
            brand=source.brand,
            max_reviews=source.max_reviews,
            base_url=self.base_url,
        )


class RecordedGooglePlayResource(GooglePlayResource):
    def connector(self, source: GooglePlaySource) -> Connector:
        from connectors.googleplay import recorded_googleplay

        return _renamed(recorded_googleplay(), source.name)


class RedditResource(dg.ConfigurableResource):
    """Reddit's API through PRAW with an app's client credentials (script or web app)."""

    client_id: str = ""
    client_secret: str = ""
    user_agent: str = ""
    oauth_url: str = "https://oauth.reddit.com"
    reddit_url: str = "https://www.reddit.com"
    retries: int = 3

    def connector(self, source: RedditSource, brands: list[Brand]) -> Connector:
        from connectors.reddit import RedditConnector

        if not (self.client_id and self.client_secret):
            raise SourceError(
                "Reddit needs an app's credentials: set REDDIT_CLIENT_ID and "
                "REDDIT_CLIENT_SECRET (https://www.reddit.com/prefs/apps, see README: Reddit)"
            )
        return RedditConnector(
            client_id=self.client_id,
            client_secret=self.client_secret,
            user_agent=self.user_agent or "python:cxradar:0.1 (self-hosted social listening)",
            subreddits=source.subreddits,
            searches=reddit_searches(source, brands),
            source=source.name,
            limit=source.limit,
            include_comments=source.include_comments,
            oauth_url=self.oauth_url,
            reddit_url=self.reddit_url,
            max_retries=self.retries,
            # PRAW's requests through the same guards as every other source's
            requestor_kwargs={
                "session": guarded_session(
                    allow_private_network=source.allow_private_network,
                    deadline_s=REQUEST_DEADLINE_S,
                    source_deadline_s=SOURCE_DEADLINE_S,
                )
            },
        )


class RecordedRedditResource(RedditResource):
    def connector(self, source: RedditSource, brands: list[Brand]) -> Connector:
        from connectors.reddit import recorded_reddit

        return _renamed(recorded_reddit(), source.name)


class ZendeskResource(HttpSourceResource):
    """Zendesk's incremental ticket export with API-token authentication."""

    email: str = ""
    api_token: str = ""

    def connector(self, source: ZendeskTicketSource) -> Connector:
        from connectors.zendesk import ZendeskConnector

        if not (self.email and self.api_token):
            raise SourceError(
                "Zendesk needs ZENDESK_EMAIL and ZENDESK_API_TOKEN (Admin Center > Apps and "
                "integrations > Zendesk API > API tokens; see README: Zendesk)"
            )
        return ZendeskConnector(
            subdomain=source.subdomain,
            base_url=source.base_url,
            email=self.email,
            api_token=self.api_token,
            source=source.name,
            start_time=datetime.now(UTC) - timedelta(days=source.start_days_back),
            http=self.http(source),
        )


class RecordedZendeskResource(ZendeskResource):
    def connector(self, source: ZendeskTicketSource) -> Connector:
        from connectors.zendesk import recorded_zendesk

        return _renamed(recorded_zendesk(), source.name)


def reddit_searches(source: RedditSource, brands: list[Brand]) -> list[tuple[str, str]]:
    """One Reddit search per brand: its name and keywords, quoted, OR-ed."""
    if not source.search_brands:
        return []
    searches = []
    for brand in brands:
        terms = dict.fromkeys([brand.name, *brand.keywords])  # ordered, unique
        searches.append((brand.name, " OR ".join(f'"{term}"' for term in terms)))
    return searches


def _renamed(connector: Connector, source_name: str) -> Connector:
    connector.source = source_name
    return connector


def _env(name: str):
    # dg.EnvVar only where the variable is set: an unset one would fail every run,
    # including runs of users who never configured that source.
    return dg.EnvVar(name) if os.environ.get(name) else ""


def source_resources(recorded: bool | None = None) -> dict:
    """The source resources: live, or recorded when asked or ``CXRADAR_RECORDED_SOURCES=1``."""
    if recorded is None:
        recorded = os.environ.get(RECORDED_ENV, "") == "1"
    if recorded:
        return {
            "feeds": RecordedFeedsResource(),
            "appstore": RecordedAppStoreResource(),
            "googleplay": RecordedGooglePlayResource(),
            "reddit": RecordedRedditResource(),
            "zendesk": RecordedZendeskResource(),
        }
    return {
        "feeds": FeedsResource(),
        "appstore": AppStoreResource(),
        "googleplay": GooglePlayResource(),
        "reddit": RedditResource(
            client_id=_env("REDDIT_CLIENT_ID"),
            client_secret=_env("REDDIT_CLIENT_SECRET"),
            user_agent=_env("REDDIT_USER_AGENT"),
        ),
        "zendesk": ZendeskResource(
            email=_env("ZENDESK_EMAIL"), api_token=_env("ZENDESK_API_TOKEN")
        ),
    }
