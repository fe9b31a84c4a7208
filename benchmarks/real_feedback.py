"""Issue intelligence on real customer feedback: the whole pipeline, measured against labels.

For each real set in ``../shared/data`` (``models/training/feedback.py`` reads them and says
what counts as a labelled complaint, and what was used where a set has no authors or dates),
the texts are written as one mentions file, ``cxradar run`` runs the whole pipeline on a fresh
database, and the issues it made are compared with the labels. The complaint signal comes
from a head that never saw the set (the shipped head never saw the airline tweets; for the
others a held-out head is trained first, ``train_complaint --hold-out``):

- **in an issue**: share of the labelled complaints that belong to any issue;
- **in 5+ customers**: share that belong to an issue of at least 5 distinct customers;
- **issues / 1k**: issues per 1,000 mentions in issues (how much there is to work through);
- **purity** and **NMI** of the issues against the labelled problem categories, over the
  labelled complaints in issues that have a category (singletons included: each is its own
  cluster);
- **categories led**: of the categories with 10+ labelled complaints, how many are the
  largest category in some issue of 5+ customers (and which are not);
- the **titles** of the ten biggest issues.

    python -m benchmarks.real_feedback                 # every set, table on stdout
    python -m benchmarks.real_feedback --sets airline-tweets --json out.json --keep /tmp/x
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from sklearn.metrics import normalized_mutual_info_score
from sqlalchemy import select

from cxradar.db import session_scope
from cxradar.schema import Enrichment, Issue, Mention
from models.training.datasets import shared_dir
from models.training.feedback import REAL_SETS, Feedback
from models.training.train_complaint import HELD_OUT_ALWAYS, held_out_path

REPO = Path(__file__).resolve().parent.parent
MIN_CUSTOMERS = 5  # "issues of 5+ customers"
MIN_CATEGORY = 10  # categories with this many labelled complaints must lead an issue
TOP_TITLES = 10


@dataclass
class SetReport:
    name: str
    texts: int
    complaints: int  # labelled complaints
    negative_in_issues: int  # mentions the pipeline put into issues (labelled or not)
    issues: int
    in_issue: float
    in_big_issue: float
    issues_per_1k: float
    purity: float
    nmi: float
    categories: int  # categories with MIN_CATEGORY+ labelled complaints
    categories_led: int
    categories_not_led: list[str] = field(default_factory=list)
    singletons: int = 0
    labels: dict[str, int] = field(default_factory=dict)  # systemic / emerging / isolated
    top: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def write_corpus(rows: Sequence[Feedback], folder: Path) -> Path:
    """The set as one mentions file and a config naming its brands; returns the config."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "mentions.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            record = {
                "source": row.source,
                "id": row.id,
                "created_at": row.created_at.isoformat(),
                "text": row.text,
                "author": row.author,
                "lang": row.lang,
                "brand": row.brand,
                "kind": "review" if row.rating is not None and row.kind == "post" else row.kind,
            }
            if row.rating is not None:
                record["rating"] = row.rating
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    brands = sorted({row.brand for row in rows if row.brand})
    config = {
        "brands": [{"name": brand, "keywords": [brand]} for brand in brands],
        "sources": [{"name": "feedback", "type": "file", "path": "mentions.jsonl"}],
        "alerts": {"channels": []},
    }
    path = folder / "cxradar.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def complaint_head(name: str) -> Path | None:
    """The complaint head that never saw this set: the shipped one never saw the airline
    tweets; for the others a head trained without them (``train_complaint --hold-out``)."""
    if name == HELD_OUT_ALWAYS:
        return None
    path = held_out_path(name)
    if not path.is_file():
        subprocess.run(
            [sys.executable, "-m", "models.training.train_complaint", "--hold-out", name],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return path


def run_pipeline(config: Path, url: str, log: Path, head: Path | None = None) -> float:
    """``cxradar run`` on the corpus, as a user would; returns the seconds it took."""
    started = time.monotonic()
    env = {**os.environ, "CXRADAR_DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    if head is not None:
        env["CXRADAR_COMPLAINT_HEAD"] = str(head)
    with log.open("w", encoding="utf-8") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "cxradar.cli", "run", "--config", str(config)],
            cwd=REPO,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        raise RuntimeError(f"cxradar run failed ({done.returncode}); see {log}")
    return time.monotonic() - started


def _issue_title(issue: Issue) -> str:
    return getattr(issue, "title", "") or issue.label


def measure(name: str, rows: Sequence[Feedback], url: str) -> SetReport:
    """Compare the issues stored in ``url`` with the labels of ``rows``."""
    with session_scope(url) as session:
        membership = dict(
            session.execute(
                select(Mention.external_id, Enrichment.issue_id).join(
                    Enrichment, Enrichment.mention_id == Mention.id
                )
            ).all()
        )
        issues = {issue.id: issue for issue in session.scalars(select(Issue))}
        details = {
            issue_id: (issue.authors, _issue_title(issue), issue.classification, issue.mentions)
            for issue_id, issue in issues.items()
        }
    complaints = [row for row in rows if row.complaint]
    placed = [row for row in complaints if membership.get(row.id) is not None]
    big = [row for row in placed if details[membership[row.id]][0] >= MIN_CUSTOMERS]
    in_issues = sum(1 for issue_id in membership.values() if issue_id is not None)
    # Purity and NMI over the labelled complaints in issues that have a category.
    pairs = [(membership[row.id], row.category) for row in placed if row.category]
    clusters = [issue for issue, _ in pairs]
    classes = [category for _, category in pairs]
    by_issue: dict[int, Counter] = defaultdict(Counter)
    for issue_id, category in pairs:
        by_issue[issue_id][category] += 1
    purity = sum(c.most_common(1)[0][1] for c in by_issue.values()) / len(pairs) if pairs else 0
    nmi = normalized_mutual_info_score(classes, clusters) if pairs else 0.0
    counts = Counter(row.category for row in complaints if row.category)
    wanted = sorted(c for c, n in counts.items() if n >= MIN_CATEGORY)
    led = {
        cats.most_common(1)[0][0]
        for issue_id, cats in by_issue.items()
        if details[issue_id][0] >= MIN_CUSTOMERS
    }
    biggest = sorted(details.items(), key=lambda item: -item[1][3])[:TOP_TITLES]
    top = []
    for issue_id, (authors, title, label, mentions) in biggest:
        cats = by_issue.get(issue_id, Counter())
        top.append(
            {
                "title": title,
                "mentions": mentions,
                "customers": authors,
                "label": label,
                "categories": dict(cats.most_common(3)),
            }
        )
    return SetReport(
        name=name,
        texts=len(rows),
        complaints=len(complaints),
        negative_in_issues=in_issues,
        issues=len(issues),
        in_issue=len(placed) / len(complaints) if complaints else 0.0,
        in_big_issue=len(big) / len(complaints) if complaints else 0.0,
        issues_per_1k=1000 * len(issues) / in_issues if in_issues else 0.0,
        purity=purity,
        nmi=nmi,
        categories=len(wanted),
        categories_led=len([c for c in wanted if c in led]),
        categories_not_led=[c for c in wanted if c not in led],
        singletons=sum(1 for d in details.values() if d[3] == 1),
        labels=dict(Counter(d[2] for d in details.values())),
        top=top,
    )


def evaluate(name: str, root: Path, work: Path) -> SetReport:
    rows = REAL_SETS[name](root)
    folder = work / name
    config = write_corpus(rows, folder)
    url = f"sqlite:///{folder / 'cxradar.db'}"
    seconds = run_pipeline(config, url, folder / "run.log", complaint_head(name))
    report = measure(name, rows, url)
    report.seconds = seconds
    return report


def table(reports: Sequence[SetReport]) -> str:
    lines = [
        "| set | complaints | in an issue | in 5+ customers | issues / 1k | purity | NMI "
        "| categories led | issues (singletons) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        lines.append(
            f"| {r.name} | {r.complaints} | {r.in_issue:.0%} | {r.in_big_issue:.0%} "
            f"| {r.issues_per_1k:.0f} | {r.purity:.2f} | {r.nmi:.2f} "
            f"| {r.categories_led}/{r.categories} | {r.issues} ({r.singletons}) |"
        )
    for r in reports:
        lines.append(f"\n**{r.name}**, ten biggest issues:")
        for item in r.top:
            cats = ", ".join(f"{k} {v}" for k, v in item["categories"].items())
            lines.append(
                f"- {item['title']} — {item['customers']} customers, {item['label']}"
                + (f" ({cats})" if cats else "")
            )
        if r.categories_not_led:
            lines.append(f"- categories leading no issue: {', '.join(r.categories_not_led)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(REAL_SETS), help="comma-separated set names")
    parser.add_argument("--json", help="also write the reports to this file")
    parser.add_argument("--keep", help="work in this folder and keep it (databases, logs)")
    args = parser.parse_args(argv)
    root = shared_dir()
    if root is None:
        print("real_feedback: ../shared/data is missing (set CXRADAR_SHARED_DIR)", file=sys.stderr)
        return 2
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cxradar-real-"))
    reports = []
    for name in args.sets.split(","):
        print(f"real_feedback: {name} ...", file=sys.stderr)
        reports.append(evaluate(name, root, work))
        print(f"real_feedback: {name} done in {reports[-1].seconds:.0f}s", file=sys.stderr)
    print(table(reports))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in reports], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
