"""Issues on real customer text: the whole pipeline on the real airline support tweets.

The small version of ``python -m benchmarks.real_feedback`` (README: Issues on real
customer text): 491 first tweets to airline support accounts, labelled by intent, with the
team's complaint labels. Skipped where ``../shared`` is not beside the repo.
"""

from __future__ import annotations

import pytest

from benchmarks.real_feedback import evaluate
from models.training.datasets import shared_dir
from models.training.feedback import REAL_SETS

pytestmark = pytest.mark.slow
ROOT = shared_dir()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if ROOT is None:
        pytest.skip("../shared/data is missing (set CXRADAR_SHARED_DIR to run this)")
    return evaluate("airline-tweets", ROOT, tmp_path_factory.mktemp("real"))


def test_real_complaints_land_in_few_readable_issues(report):
    assert REAL_SETS["airline-tweets"]
    # Before the rework: 5 % in issues of 5+ customers, 926 issues per 1,000 complaints.
    assert report.in_big_issue >= 0.40, report
    assert report.issues_per_1k <= 300, report
    assert report.nmi >= 0.40 and report.categories_led >= report.categories - 2, report
    titles = [item["title"] for item in report.top]
    assert all(titles) and not any("@" in title for title in titles), titles
    # The biggest issue of airline complaints is about delays, and its title says so.
    assert "delay" in report.top[0]["title"].casefold(), report.top[0]
    assert max(report.top[0]["categories"], key=report.top[0]["categories"].get) == "DELAY"
