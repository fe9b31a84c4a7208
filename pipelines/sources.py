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
    BlueskySource,
    Brand,
    FeedSource,
    GooglePlaySource,
    HackerNewsSource,
    MastodonSource,
    RedditSource,
    TrustpilotSource,
    YouTubeSource,
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


class BlueskyResource(HttpSourceResource):
    """Bluesky's post search, logged in with an app password (or the public AppView)."""

    handle: str = ""
    app_password: str = ""

    def connector(self, source: BlueskySource, brands: list[Brand]) -> Connector:
        from connectors.bluesky import BlueskyConnector

        return BlueskyConnector(
            queries=brand_queries(source, brands),
            handle=self.handle,
            app_password=self.app_password,
            source=source.name,
            lang=source.lang,
            service_url=source.service_url,
            appview_url=source.appview_url,
            max_pages=source.max_pages,
            lookback_days=source.lookback_days,
            http=self.http(source),
        )


class RecordedBlueskyResource(BlueskyResource):
    def connector(self, source: BlueskySource, brands: list[Brand]) -> Connector:
        from connectors.bluesky import recorded_bluesky

        return recorded_bluesky(source.name)


class MastodonResource(HttpSourceResource):
    """A Mastodon server's REST API: hashtag timelines, and search with an access token."""

    access_token: str = ""

    def connector(self, source: MastodonSource, brands: list[Brand]) -> Connector:
        from connectors.mastodon import MastodonConnector

        searches = [(source.brand, query) for query in source.searches]
        if source.search_brands:
            searches += brand_queries(source, brands)
        return MastodonConnector(
            instance=source.instance,
            hashtags=source.hashtags,
            searches=searches,
            access_token=self.access_token,
            source=source.name,
            brand=source.brand,
            local=source.local,
            max_pages=source.max_pages,
            lookback_days=source.lookback_days,
            http=self.http(source),
        )


class RecordedMastodonResource(MastodonResource):
    def connector(self, source: MastodonSource, brands: list[Brand]) -> Connector:
        from connectors.mastodon import recorded_mastodon

        return recorded_mastodon(source.name)


class HackerNewsResource(HttpSourceResource):
    """The Algolia Hacker News search API (no credentials)."""

    base_url: str = "https://hn.algolia.com"

    def connector(self, source: HackerNewsSource, brands: list[Brand]) -> Connector:
        from connectors.hackernews import HackerNewsConnector

        return HackerNewsConnector(
            queries=brand_queries(source, brands),
            source=source.name,
            tags="(story,comment)" if source.include_comments else "story",
            hits_per_page=source.hits_per_page,
            lookback_days=source.lookback_days,
            max_requests=source.max_requests,
            base_url=self.base_url,
            http=self.http(source),
        )


class RecordedHackerNewsResource(HackerNewsResource):
    def connector(self, source: HackerNewsSource, brands: list[Brand]) -> Connector:
        from connectors.hackernews import recorded_hackernews

        return recorded_hackernews(source.name)


class YouTubeResource(HttpSourceResource):
    """The YouTube Data API v3 with an API key, within a daily quota."""

    api_key: str = ""
    base_url: str = "https://www.googleapis.com"

    def connector(self, source: YouTubeSource, brands: list[Brand]) -> Connector:
        from connectors.youtube import YouTubeConnector

        if not self.api_key:
            raise SourceError(
                "YouTube needs YOUTUBE_API_KEY (Google Cloud console > APIs and services > "
                "Credentials, with 'YouTube Data API v3' enabled; see README: YouTube)"
            )
        return YouTubeConnector(
            api_key=self.api_key,
            video_ids=source.video_ids,
            channel_ids=source.channel_ids,
            source=source.name,
            brand=source.brand,
            daily_quota=source.daily_quota,
            max_pages=source.max_pages,
            lookback_days=source.lookback_days,
            base_url=self.base_url,
            http=self.http(source),
        )


class RecordedYouTubeResource(YouTubeResource):
    def connector(self, source: YouTubeSource, brands: list[Brand]) -> Connector:
        from connectors.youtube import recorded_youtube

        return recorded_youtube(source.name)


class TrustpilotResource(HttpSourceResource):
    """Trustpilot's public business-unit API with an API key."""

    api_key: str = ""
    base_url: str = "https://api.trustpilot.com"

    def connector(self, source: TrustpilotSource, brands: list[Brand]) -> Connector:
        from connectors.trustpilot import TrustpilotConnector

        if not self.api_key:
            raise SourceError(
                "Trustpilot needs TRUSTPILOT_API_KEY (Trustpilot Business > Integrations > API; "
                "see README: Trustpilot), or use Trustpilot's CSV export as a file source"
            )
        return TrustpilotConnector(
            api_key=self.api_key,
            business_unit_id=source.business_unit_id,
            domain=source.domain,
            source=source.name,
            brand=source.brand,
            language=source.language,
            max_pages=source.max_pages,
            lookback_days=source.lookback_days,
            base_url=self.base_url,
            http=self.http(source),
        )


class RecordedTrustpilotResource(TrustpilotResource):
    def connector(self, source: TrustpilotSource, brands: list[Brand]) -> Connector:
        from connectors.trustpilot import recorded_trustpilot

        return recorded_trustpilot(source.name)


def brand_queries(source, brands: list[Brand]) -> list[tuple[str | None, str]]:
    """(brand, query) pairs: the source's own ``queries``, else each brand's name and keywords.

    A source with ``brand`` searches for that brand only. Terms are unique ignoring case.
    """
    own = getattr(source, "queries", None)
    if own:
        return [(source.brand, query) for query in own]
    chosen = [b for b in brands if not source.brand or b.name == source.brand]
    pairs, seen = [], set()
    for brand in chosen:
        for term in (brand.name, *brand.keywords):
            if term.strip() and term.casefold() not in seen:
                seen.add(term.casefold())
                pairs.append((brand.name, term.strip()))
    return pairs


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
            "bluesky": RecordedBlueskyResource(),
            "mastodon": RecordedMastodonResource(),
            "hackernews": RecordedHackerNewsResource(),
            "youtube": RecordedYouTubeResource(),
            "trustpilot": RecordedTrustpilotResource(),
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
        "bluesky": BlueskyResource(
            handle=_env("BLUESKY_HANDLE"), app_password=_env("BLUESKY_APP_PASSWORD")
        ),
        "mastodon": MastodonResource(access_token=_env("MASTODON_ACCESS_TOKEN")),
        "hackernews": HackerNewsResource(),
        "youtube": YouTubeResource(api_key=_env("YOUTUBE_API_KEY")),
        "trustpilot": TrustpilotResource(api_key=_env("TRUSTPILOT_API_KEY")),
    }
