"""The dashboard's words in English and German; `translate` falls back to English, then the key."""

from __future__ import annotations

LANGUAGES = {"en": "English", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "app_title": "cxradar",
        "ui_language": "Language",
        "filters": "Filters",
        "period": "Period",
        "sources": "Sources",
        "languages": "Languages",
        "brands": "Brands",
        "all": "all",
        "reset_filters": "Reset filters",
        "page_overview": "Overview",
        "login_title": "cxradar: sign in",
        "password": "Password",
        "sign_in": "Sign in",
        "wrong_password": "Wrong password.",
        "sign_out": "Sign out",
        "page_issues": "Issues",
        "page_mentions": "Mentions",
        "page_alerts": "Alerts",
        "page_sources": "Sources",
        "empty_title": "No data yet",
        "empty_body": (
            "The database {url} has no mentions yet. Load the demo with `cxradar run --demo`, "
            "or your own sources with `cxradar run --config cxradar.yaml`, then reload this page."
        ),
        "not_migrated": (
            "The database {url} is not set up yet. Run `cxradar run --demo` or "
            "`cxradar run --config cxradar.yaml` to create it and load data."
        ),
        "db_error": "Cannot read the database {url}: {reason}",
        "kpi_mentions": "Mentions",
        "kpi_net_sentiment": "Net sentiment",
        "kpi_negative_share": "Negative share",
        "kpi_avg_rating": "Average rating",
        "compared_to": "Change compared with the {days} days before ({start} – {end}).",
        "net_sentiment_help": "(positive − negative) / all mentions",
        "sentiment_over_time": "Sentiment over time",
        "spike": "spike",
        "spikes_marked": "Shaded: negative spike alerts.",
        "by_source": "By source",
        "by_language": "By language",
        "top_issues": "Top issues (systemic first)",
        "all_issues": "All issues",
        "no_issues": "No issues in this period.",
        "negative": "negative",
        "neutral": "neutral",
        "positive": "positive",
        "systemic": "Systemic",
        "emerging": "Emerging",
        "isolated": "Isolated",
        "systemic_help": "Many customers, and spread to several channels, lasting several "
        "days or confirmed by support tickets.",
        "emerging_help": "Several customers with the same problem, not (yet) systemic: the "
        "evidence says what it still lacks.",
        "isolated_help": "A one-off: one or two customers. A case for support.",
        "single_complaints": "Single complaints ({count})",
        "single_complaints_help": "One post each, like no other complaint: isolated issues "
        "listed after the grouped ones.",
        "issue_list": "Issues",
        "brands_compared": "Brands compared",
        "brands_compared_help": "Each brand's top problems: the share of the brand's "
        "complaints each one holds.",
        "brands_compared_one": "Complaints name one brand here; configure competitors under "
        "brands: to compare them.",
        "share_of_complaints": "Share of the brand's complaints",
        "col_brands": "Brands",
        "keywords": "Keywords",
        "issue_merged": "Issue #{old} was merged into #{new}; showing #{new}.",
        "history_merged": "took over issue #{issue}",
        "history_split": "split off issue #{issue}",
        "col_type": "Type",
        "col_issue": "Issue",
        "col_severity": "Severity",
        "col_mentions": "Mentions",
        "col_authors": "Authors",
        "col_sources": "Sources",
        "col_tickets": "Tickets",
        "col_first_seen": "First seen",
        "col_last_seen": "Last seen",
        "col_trend": "Trend",
        "col_negative": "Negative",
        "col_created": "Created",
        "col_source": "Source",
        "col_author": "Author",
        "col_text": "Text",
        "col_lang": "Lang",
        "col_score": "Score",
        "col_sentiment": "Sentiment",
        "col_rating": "Rating",
        "col_link": "Link",
        "col_open": "open",
        "col_subject": "Subject",
        "col_body": "Body",
        "col_status": "Status",
        "col_channel": "Channel",
        "col_similarity": "Similarity",
        "col_ticket": "Ticket",
        "evidence": "Evidence",
        "evidence_of": "Evidence: {label}",
        "drill_down": "Drill down",
        "choose_issue": "Issue",
        "issue_mentions": "Mentions in this issue",
        "issue_tickets": "Linked support tickets",
        "no_tickets": "No support tickets linked.",
        "download_csv": "Download CSV",
        "download_markdown": "Download Markdown",
        "download_issues_csv": "All issues as CSV",
        "mentions_title": "Mentions explorer",
        "sentiment": "Sentiment",
        "issue_filter": "Issue",
        "any_issue": "any",
        "text_contains": "Text contains",
        "page": "Page",
        "page_size": "Per page",
        "matches": "{total} mentions match · page {page} of {pages}",
        "no_matches": "No mentions match these filters.",
        "alerts_title": "Alert history",
        "only_period": "Only alerts in the selected period",
        "no_alerts": "No alerts yet.",
        "alerts_open": "Open",
        "alerts_escalated": "Escalated",
        "alerts_resolved": "Resolved",
        "alerts_undelivered": "Not delivered",
        "col_window_start": "From",
        "col_window_end": "Until",
        "col_scope": "Scope",
        "col_observed": "Observed",
        "col_expected": "Expected",
        "col_title": "Title",
        "col_delivered": "Delivered",
        "col_delivered_at": "Delivered at",
        "col_attempts": "Attempts",
        "col_last_error": "Last error",
        "col_covered_by": "Told in alert",
        "sources_title": "Sources",
        "col_connector": "Connector",
        "col_newest_item": "Newest item",
        "col_last_ingest": "Last ingest",
        "col_cursor_updated": "Cursor updated",
        "col_next_run": "Next scheduled run",
        "next_run_help": "When the schedule fetches this source next, once the schedule is "
        "switched on in Dagster (cxradar_hourly, or cxradar_tickets for helpdesks).",
        "col_errors": "Errors",
        "col_location": "Where",
        "col_reason": "Reason",
        "ingest_errors": "Recent ingest errors",
        "no_ingest_errors": "No rejected rows or failed fetches.",
        "error_source": "Source",
        "page_topics": "Topics",
        "page_review": "Review queue",
        "topics_title": "Topics",
        "topic_map": "Topic map",
        "topic_map_help": (
            "Each bubble is a topic; bubbles close together are about similar things. "
            "Size: mentions in the selection. Colour: share of negative mentions. "
            "Click a bubble to see its mentions."
        ),
        "topic_keywords": "Topics and their keywords",
        "topics_over_time": "Largest topics over time",
        "choose_topic": "Topic",
        "topic_sentiment": "Sentiment over time",
        "topic_top_mentions": "Top mentions (widest reach first)",
        "no_topics": (
            "No topics yet. They are found once enough mentions are enriched: "
            "run `cxradar run` again after loading more data."
        ),
        "no_topic_matches": "No mentions of any topic match these filters.",
        "no_topic_mentions": "No mentions of this topic match these filters.",
        "col_topic": "Topic",
        "col_keywords": "Keywords",
        "col_negative_share": "Negative share",
        "review_title": "Review queue",
        "review_intro": (
            "The predictions the sentiment model was least sure of, least sure first. "
            "Confirm or correct each one: verdicts are kept and used the next time the "
            "model is trained (`python -m models.training.train_sentiment --corrections-db`)."
        ),
        "reviewer": "Your name (optional)",
        "review_batch": "Show",
        "review_empty": "Nothing left to review in this selection.",
        "model_says": "Model: {label} · {probabilities} · lead {margin}",
        "your_label": "Sentiment",
        "your_complaint": "Reports a problem?",
        "complaint_yes": "yes",
        "complaint_no": "no",
        "save_label": "Save",
        "saved": "Saved #{id} as {label}.",
        "reviewed_title": "Reviewed",
        "reviewed_counts": "{reviewed} reviewed, {corrected} of them corrected",
        "no_reviewed": "Nothing reviewed yet.",
        "col_predicted": "Model said",
        "col_verdict": "Verdict",
        "col_reviewer": "Reviewer",
        "col_reviewed_at": "Reviewed",
        # Channels compared and what moves the score (#19)
        "page_channels": "Channels compared",
        "channels_intro": (
            "The scores customers give (NPS, CSAT, star ratings), support tickets and the mood "
            "in social media on one time axis: did a social spike move NPS and tickets? "
            "Shaded: spike alerts; dashed: the day an issue was first seen."
        ),
        "channels_filters": (
            "The period and brand filters apply here; source and language filters do not "
            "(each KPI is a channel of its own)."
        ),
        "channels_grain": "Per",
        "grain_day": "day",
        "grain_week": "week",
        "channels_empty": "No survey answers, reviews, tickets or social posts in this period.",
        "kpi_nps": "NPS",
        "kpi_nps_help": (
            "Net Promoter Score: promoters (9–10) minus detractors (0–6), in % of the answers "
            "0–10; from −100 to +100."
        ),
        "kpi_csat": "CSAT",
        "kpi_csat_help": "Customer satisfaction: the share of 4–5 answers on a 1–5 scale.",
        "kpi_tickets": "Support tickets",
        "kpi_social_negative": "Negative social",
        "kpi_social_negative_help": (
            "Of the public posts, comments and articles (no reviews, no survey comments, no "
            "copies, counted as on the Overview), the share with negative sentiment."
        ),
        "answers": "{count} answers",
        "reviews_count": "{count} reviews",
        "csat_mean": "mean {mean}",
        "nps_low_week": "Lowest weekly NPS",
        "nps_low_day": "Lowest daily NPS",
        "nps_low_at_week": "week of {day}, {count} answers",
        "nps_low_at_day": "{day}, {count} answers",
        "panel_nps": "NPS (points)",
        "panel_csat": "CSAT (% satisfied)",
        "panel_rating": "Average star rating",
        "panel_tickets": "Support tickets",
        "panel_negative_share": "Negative share of social mentions (%)",
        "respondents": "answers",
        "issues_marked": "Dashed lines: issues first seen that day — {issues}",
        "kpi_figures": "The figures per {grain}",
        "col_period_start": "From",
        "col_nps": "NPS",
        "col_respondents": "Answers",
        "col_csat": "CSAT %",
        "col_csat_mean": "CSAT mean",
        "col_stars": "Stars",
        "col_reviews": "Reviews",
        "col_social": "Social posts",
        "versions_title": "Star rating per app version",
        "versions_help": (
            "App Store and Google Play reviews name the app version. First seen: the first "
            "review naming it, about when the update reached customers."
        ),
        "no_versions": (
            "No review in this period names an app version (App Store and Google Play reviews do)."
        ),
        "first_seen_short": "since",
        "col_version": "Version",
        "col_released": "First seen",
        "col_low_reviews": "1–2 ★ reviews",
        "stores_title": "Star rating per store",
        "no_reviews": "No reviews in this period.",
        "sort_issues": "Sort by",
        "sort_score": "how systemic (score)",
        "sort_nps_impact": "NPS impact (most harmful first)",
        "sort_rating_impact": "star rating impact (most harmful first)",
        "col_nps_impact": "NPS impact",
        "col_rating_impact": "Star impact",
        "impact_nps": "NPS impact {value} points",
        "impact_rating": "star rating {value}",
        "impact_version": "First seen with version {version}",
        "impact_version_share": "{share} of the 1–2 star reviews on {version} are about it",
    },
    "de": {
        "ui_language": "Sprache",
        "filters": "Filter",
        "period": "Zeitraum",
        "sources": "Quellen",
        "languages": "Sprachen",
        "brands": "Marken",
        "all": "alle",
        "reset_filters": "Filter zurücksetzen",
        "page_overview": "Überblick",
        "login_title": "cxradar: Anmelden",
        "password": "Passwort",
        "sign_in": "Anmelden",
        "wrong_password": "Falsches Passwort.",
        "sign_out": "Abmelden",
        "page_issues": "Probleme",
        "page_mentions": "Erwähnungen",
        "page_alerts": "Alarme",
        "page_sources": "Quellen",
        "empty_title": "Noch keine Daten",
        "empty_body": (
            "Die Datenbank {url} enthält noch keine Erwähnungen. Demo laden mit "
            "`cxradar run --demo`, eigene Quellen mit `cxradar run --config cxradar.yaml`, "
            "dann die Seite neu laden."
        ),
        "not_migrated": (
            "Die Datenbank {url} ist noch nicht eingerichtet. `cxradar run --demo` oder "
            "`cxradar run --config cxradar.yaml` legt sie an und lädt Daten."
        ),
        "db_error": "Die Datenbank {url} kann nicht gelesen werden: {reason}",
        "kpi_mentions": "Erwähnungen",
        "kpi_net_sentiment": "Netto-Stimmung",
        "kpi_negative_share": "Anteil negativ",
        "kpi_avg_rating": "Ø Bewertung",
        "compared_to": "Veränderung gegenüber den {days} Tagen davor ({start} – {end}).",
        "net_sentiment_help": "(positiv − negativ) / alle Erwähnungen",
        "sentiment_over_time": "Stimmung im Zeitverlauf",
        "spike": "Spitze",
        "spikes_marked": "Schattiert: Alarme wegen negativer Spitzen.",
        "by_source": "Nach Quelle",
        "by_language": "Nach Sprache",
        "top_issues": "Wichtigste Probleme (systemische zuerst)",
        "all_issues": "Alle Probleme",
        "no_issues": "Keine Probleme in diesem Zeitraum.",
        "negative": "negativ",
        "neutral": "neutral",
        "positive": "positiv",
        "systemic": "Systemisch",
        "emerging": "Aufkommend",
        "isolated": "Einzelfall",
        "systemic_help": "Viele Kunden, und auf mehreren Kanälen, über mehrere Tage oder "
        "durch Support-Tickets bestätigt.",
        "emerging_help": "Mehrere Kunden mit demselben Problem, (noch) nicht systemisch: die "
        "Evidenz sagt, was noch fehlt.",
        "isolated_help": "Ein Einzelfall: ein oder zwei Kunden. Ein Fall für den Support.",
        "single_complaints": "Einzelne Beschwerden ({count})",
        "single_complaints_help": "Je ein Beitrag, keiner anderen Beschwerde ähnlich: "
        "Einzelfälle nach den gruppierten Problemen.",
        "issue_list": "Probleme",
        "brands_compared": "Marken im Vergleich",
        "brands_compared_help": "Die größten Probleme jeder Marke: ihr Anteil an den "
        "Beschwerden über die Marke.",
        "brands_compared_one": "Die Beschwerden nennen hier nur eine Marke; Wettbewerber unter "
        "brands: konfigurieren, um sie zu vergleichen.",
        "share_of_complaints": "Anteil an den Beschwerden der Marke",
        "col_brands": "Marken",
        "keywords": "Schlüsselwörter",
        "issue_merged": "Problem #{old} wurde mit #{new} zusammengeführt; gezeigt wird #{new}.",
        "history_merged": "hat Problem #{issue} übernommen",
        "history_split": "von Problem #{issue} abgetrennt",
        "col_type": "Art",
        "col_issue": "Problem",
        "col_severity": "Schwere",
        "col_mentions": "Erwähnungen",
        "col_authors": "Autoren",
        "col_sources": "Quellen",
        "col_tickets": "Tickets",
        "col_first_seen": "Zuerst gesehen",
        "col_last_seen": "Zuletzt gesehen",
        "col_trend": "Verlauf",
        "col_negative": "Negativ",
        "col_created": "Erstellt",
        "col_source": "Quelle",
        "col_author": "Autor",
        "col_text": "Text",
        "col_lang": "Sprache",
        "col_score": "Wert",
        "col_sentiment": "Stimmung",
        "col_rating": "Bewertung",
        "col_link": "Link",
        "col_open": "öffnen",
        "col_subject": "Betreff",
        "col_body": "Inhalt",
        "col_status": "Status",
        "col_channel": "Kanal",
        "col_similarity": "Ähnlichkeit",
        "col_ticket": "Ticket",
        "evidence": "Begründung",
        "evidence_of": "Begründung: {label}",
        "drill_down": "Details",
        "choose_issue": "Problem",
        "issue_mentions": "Erwähnungen zu diesem Problem",
        "issue_tickets": "Verknüpfte Support-Tickets",
        "no_tickets": "Keine Support-Tickets verknüpft.",
        "download_csv": "CSV herunterladen",
        "download_markdown": "Markdown herunterladen",
        "download_issues_csv": "Alle Probleme als CSV",
        "mentions_title": "Erwähnungen durchsuchen",
        "sentiment": "Stimmung",
        "issue_filter": "Problem",
        "any_issue": "alle",
        "text_contains": "Text enthält",
        "page": "Seite",
        "page_size": "Pro Seite",
        "matches": "{total} Erwähnungen gefunden · Seite {page} von {pages}",
        "no_matches": "Keine Erwähnungen passen zu diesen Filtern.",
        "alerts_title": "Alarmverlauf",
        "only_period": "Nur Alarme im gewählten Zeitraum",
        "no_alerts": "Noch keine Alarme.",
        "alerts_open": "Offen",
        "alerts_escalated": "Eskaliert",
        "alerts_resolved": "Erledigt",
        "alerts_undelivered": "Nicht zugestellt",
        "col_window_start": "Von",
        "col_window_end": "Bis",
        "col_scope": "Bereich",
        "col_observed": "Beobachtet",
        "col_expected": "Erwartet",
        "col_title": "Titel",
        "col_delivered": "Zugestellt",
        "col_delivered_at": "Zugestellt am",
        "col_attempts": "Versuche",
        "col_last_error": "Letzter Fehler",
        "col_covered_by": "Gemeldet mit Alarm",
        "sources_title": "Quellen",
        "col_connector": "Connector",
        "col_newest_item": "Neuester Eintrag",
        "col_last_ingest": "Letzter Import",
        "col_cursor_updated": "Cursor aktualisiert",
        "col_next_run": "Nächster geplanter Lauf",
        "next_run_help": "Wann der Zeitplan diese Quelle als Nächstes abruft, sobald er in "
        "Dagster eingeschaltet ist (cxradar_hourly bzw. cxradar_tickets für Helpdesks).",
        "col_errors": "Fehler",
        "col_location": "Wo",
        "col_reason": "Grund",
        "ingest_errors": "Letzte Importfehler",
        "no_ingest_errors": "Keine abgelehnten Zeilen oder fehlgeschlagenen Abrufe.",
        "error_source": "Quelle",
        "page_topics": "Themen",
        "page_review": "Zur Prüfung",
        "topics_title": "Themen",
        "topic_map": "Themenkarte",
        "topic_map_help": (
            "Jede Blase ist ein Thema; nahe Blasen handeln von Ähnlichem. "
            "Größe: Erwähnungen in der Auswahl. Farbe: Anteil negativer Erwähnungen. "
            "Ein Klick auf eine Blase zeigt ihre Erwähnungen."
        ),
        "topic_keywords": "Themen und ihre Schlagwörter",
        "topics_over_time": "Größte Themen im Zeitverlauf",
        "choose_topic": "Thema",
        "topic_sentiment": "Stimmung im Zeitverlauf",
        "topic_top_mentions": "Wichtigste Erwähnungen (größte Reichweite zuerst)",
        "no_topics": (
            "Noch keine Themen. Sie entstehen, sobald genug Erwähnungen angereichert sind: "
            "nach dem Laden weiterer Daten `cxradar run` erneut ausführen."
        ),
        "no_topic_matches": "Keine Erwähnungen eines Themas passen zu diesen Filtern.",
        "no_topic_mentions": "Keine Erwähnungen dieses Themas passen zu diesen Filtern.",
        "col_topic": "Thema",
        "col_keywords": "Schlagwörter",
        "col_negative_share": "Anteil negativ",
        "review_title": "Zur Prüfung",
        "review_intro": (
            "Die Vorhersagen, bei denen das Stimmungsmodell am unsichersten war, die "
            "unsichersten zuerst. Bitte jede bestätigen oder korrigieren: die Urteile werden "
            "gespeichert und beim nächsten Training genutzt "
            "(`python -m models.training.train_sentiment --corrections-db`)."
        ),
        "reviewer": "Ihr Name (optional)",
        "review_batch": "Anzeigen",
        "review_empty": "In dieser Auswahl ist nichts mehr zu prüfen.",
        "model_says": "Modell: {label} · {probabilities} · Vorsprung {margin}",
        "your_label": "Stimmung",
        "your_complaint": "Meldet ein Problem?",
        "complaint_yes": "ja",
        "complaint_no": "nein",
        "save_label": "Speichern",
        "saved": "#{id} als {label} gespeichert.",
        "reviewed_title": "Geprüft",
        "reviewed_counts": "{reviewed} geprüft, davon {corrected} korrigiert",
        "no_reviewed": "Noch nichts geprüft.",
        "col_predicted": "Modell sagte",
        "col_verdict": "Urteil",
        "col_reviewer": "Prüfer",
        "col_reviewed_at": "Geprüft am",
        # Kanäle im Vergleich, was die Bewertung bewegt (#19)
        "page_channels": "Kanäle im Vergleich",
        "channels_intro": (
            "Was Kundinnen und Kunden vergeben (NPS, CSAT, Sterne), Support-Tickets und die "
            "Stimmung in sozialen Medien auf einer Zeitachse: hat eine Spitze in sozialen "
            "Medien NPS und Tickets bewegt? Schattiert: Alarme; gestrichelt: der Tag, an dem "
            "ein Problem zuerst auftrat."
        ),
        "channels_filters": (
            "Zeitraum und Marke gelten hier; Quellen- und Sprachfilter nicht (jede Kennzahl ist "
            "ein eigener Kanal)."
        ),
        "channels_grain": "Je",
        "grain_day": "Tag",
        "grain_week": "Woche",
        "channels_empty": (
            "Keine Umfrageantworten, Bewertungen, Tickets oder Beiträge in diesem Zeitraum."
        ),
        "kpi_nps": "NPS",
        "kpi_nps_help": (
            "Net Promoter Score: Promotoren (9–10) minus Kritiker (0–6), in % der Antworten "
            "0–10; von −100 bis +100."
        ),
        "kpi_csat": "CSAT",
        "kpi_csat_help": "Kundenzufriedenheit: Anteil der Antworten 4–5 auf einer Skala 1–5.",
        "kpi_tickets": "Support-Tickets",
        "kpi_social_negative": "Negativ (sozial)",
        "kpi_social_negative_help": (
            "Von den öffentlichen Beiträgen, Kommentaren und Artikeln (ohne Bewertungen, "
            "Umfragekommentare und Kopien, gezählt wie im Überblick) der Anteil mit negativer "
            "Stimmung."
        ),
        "answers": "{count} Antworten",
        "reviews_count": "{count} Bewertungen",
        "csat_mean": "Mittel {mean}",
        "nps_low_week": "Niedrigster NPS einer Woche",
        "nps_low_day": "Niedrigster NPS eines Tages",
        "nps_low_at_week": "Woche ab {day}, {count} Antworten",
        "nps_low_at_day": "{day}, {count} Antworten",
        "panel_nps": "NPS (Punkte)",
        "panel_csat": "CSAT (% zufrieden)",
        "panel_rating": "Durchschnittliche Sternebewertung",
        "panel_tickets": "Support-Tickets",
        "panel_negative_share": "Anteil negativer Beiträge in sozialen Medien (%)",
        "respondents": "Antworten",
        "issues_marked": "Gestrichelt: Probleme, die an dem Tag zuerst auftraten — {issues}",
        "kpi_figures": "Die Zahlen je {grain}",
        "col_period_start": "Ab",
        "col_nps": "NPS",
        "col_respondents": "Antworten",
        "col_csat": "CSAT %",
        "col_csat_mean": "CSAT Mittel",
        "col_stars": "Sterne",
        "col_reviews": "Bewertungen",
        "col_social": "Beiträge",
        "versions_title": "Sternebewertung je App-Version",
        "versions_help": (
            "Bewertungen im App Store und bei Google Play nennen die App-Version. Zuerst "
            "gesehen: die erste Bewertung, die sie nennt, etwa wann das Update ankam."
        ),
        "no_versions": (
            "Keine Bewertung in diesem Zeitraum nennt eine App-Version (App Store und Google "
            "Play tun es)."
        ),
        "first_seen_short": "seit",
        "col_version": "Version",
        "col_released": "Zuerst gesehen",
        "col_low_reviews": "1–2 ★ Bewertungen",
        "stores_title": "Sternebewertung je Plattform",
        "no_reviews": "Keine Bewertungen in diesem Zeitraum.",
        "sort_issues": "Sortieren nach",
        "sort_score": "wie systemisch (Score)",
        "sort_nps_impact": "Effekt auf den NPS (schädlichste zuerst)",
        "sort_rating_impact": "Effekt auf die Sterne (schädlichste zuerst)",
        "col_nps_impact": "NPS-Effekt",
        "col_rating_impact": "Sterne-Effekt",
        "impact_nps": "NPS-Effekt {value} Punkte",
        "impact_rating": "Sternebewertung {value}",
        "impact_version": "Zuerst mit Version {version} aufgetreten",
        "impact_version_share": "{share} der 1–2-Sterne-Bewertungen zu {version} betreffen es",
    },
}


def translate(key: str, language: str = DEFAULT_LANGUAGE, **values) -> str:
    """The text for `key` in `language`, with `{placeholders}` filled from `values`."""
    text = TEXTS.get(language, {}).get(key) or TEXTS[DEFAULT_LANGUAGE].get(key) or key
    return text.format(**values) if values else text


def missing_translations(language: str) -> list[str]:
    """Keys English has and `language` lacks (the app title is the same everywhere)."""
    return sorted(set(TEXTS[DEFAULT_LANGUAGE]) - set(TEXTS[language]) - {"app_title"})
