"""The shared storage and vector helpers: one chunker, one unit-vector function, one list
of pipeline state keys."""

from __future__ import annotations

import numpy as np
import pytest

from cxradar.chunks import chunked
from cxradar.db import session_scope
from cxradar.state import (
    ALERTS_EVALUATED_PREFIX,
    FORGOTTEN_PREFIX,
    TOPIC_FIT,
    keys_under,
    read_state,
    write_state,
)
from models.vectors import unit_matrix, unit_rows


def test_chunked_covers_every_item_once_in_order():
    items = list(range(1234))
    chunks = list(chunked(items, 500))
    assert [len(c) for c in chunks] == [500, 500, 234]
    assert [x for c in chunks for x in c] == items
    assert list(chunked([], 500)) == []
    with pytest.raises(ValueError):
        list(chunked(items, 0))


def test_unit_rows_scale_rows_and_keep_zero_rows():
    rows = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert rows.dtype == np.float32
    assert np.allclose(rows, [[0.6, 0.8], [0.0, 0.0]])
    assert np.allclose(unit_rows(np.array([0.0, 2.0])), [0.0, 1.0])
    assert unit_matrix(np.zeros((0, 8))).shape == (0, 8)
    with pytest.raises(ValueError, match="3 documents but 2 embeddings"):
        unit_matrix(np.ones((2, 4)), expected_rows=3)


def test_state_keys_come_from_the_registry(sqlite_url):
    with session_scope(sqlite_url) as session:
        write_state(session, TOPIC_FIT, "10")
        write_state(session, ALERTS_EVALUATED_PREFIX + "source.reddit", "2026-10-10T00:00")
        write_state(session, FORGOTTEN_PREFIX + "abc", "forgotten")
        with pytest.raises(KeyError, match="add it to cxradar/state.py"):
            write_state(session, "topics.fit_corpus", "1")  # a misspelt key
    with session_scope(sqlite_url) as session:
        assert read_state(session, TOPIC_FIT) == "10"
        assert keys_under(session, ALERTS_EVALUATED_PREFIX) == {
            ALERTS_EVALUATED_PREFIX + "source.reddit"
        }
        with pytest.raises(KeyError):
            keys_under(session, "alerts.")
