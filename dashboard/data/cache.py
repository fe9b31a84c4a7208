"""The one cache of the dashboard's queries: a decorator that keeps the query's signature.

``@cached`` on a query function ``f(engine, ...)`` memoises its answers for
CACHE_SECONDS per database and arguments while a Streamlit script runs (the
app, AppTest); everywhere else (tests, benchmarks, the CLI) every call reads
the database. The decorated name keeps the function's parameters and return
type, so a type checker checks each call and go-to-definition lands on the query.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.caching.cache_utils import CachedFunc
from streamlit.runtime.scriptrunner import get_script_run_ctx

# Long enough that page switches and filter clicks reuse answers; short enough that a
# pipeline run shows within a minute without a reload.
CACHE_SECONDS = 60

P = ParamSpec("P")
R = TypeVar("R")

_memoised: list[CachedFunc] = []


def database_key(engine: Engine) -> str:
    """Which database an engine reads (its full URL): answers are kept per database."""
    return engine.url.render_as_string(hide_password=False)


def cached(query: Callable[P, R]) -> Callable[P, R]:
    """`query`, with its answers kept for CACHE_SECONDS per database and arguments."""
    memoised = st.cache_data(
        ttl=CACHE_SECONDS, show_spinner=False, hash_funcs={Engine: database_key}
    )(query)
    _memoised.append(memoised)

    @functools.wraps(query)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if get_script_run_ctx(suppress_warning=True) is None:
            return query(*args, **kwargs)  # not in a page: always the database's answer
        return memoised(*args, **kwargs)

    return call


def clear() -> None:
    """Forget every kept answer (after the dashboard itself wrote something)."""
    for memoised in _memoised:
        memoised.clear()
