"""An HTML evaluation report with PNG plots that a team lead can read without the code.

Why: a single accuracy hides what matters for triage: which classes are weak,
which ones get mixed up and how, whether a confidence of 0.9 really means 90%,
how much the auto-answer covers at what precision, and how much lands in review.
``triage evaluate --report DIR`` writes ``DIR/index.html`` and one PNG per plot.
Example messages are the normalized (PII-masked) texts, shortened.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from classifier.config import TriageConfig
from classifier.errors import TriageError, snippet

CONFUSED_PAIRS = 5
EXAMPLES_PER_PAIR = 3
ECE_BINS = 15  # the same bins as classifier.evaluation.expected_calibration_error


def require_matplotlib() -> None:
    """Fail with one line naming the extra when matplotlib is missing (it is optional)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise TriageError(
            "--report needs matplotlib; install the report extra: pip install 'inquiry-triage[report]'"
        ) from None


def build_report(
    triage: Any, texts: list[str], labels: dict[str, list[str]], channels: list[str] | None, out_dir: Path
) -> dict[str, Any]:
    """Evaluate ``triage`` on labeled rows, write ``out_dir/index.html`` with its plots; return the JSON report."""
    from classifier.training import evaluate_model

    require_matplotlib()
    report = evaluate_model(triage, texts, labels, channels, details=True)
    details = report.pop("details")
    write_report(report, details["rows"], details["texts"], labels, triage.config, Path(out_dir))
    return report


def write_report(
    report: dict[str, Any],
    rows: list[dict[str, Any]],
    clean_texts: list[str],
    truth: dict[str, list[str]],
    config: TriageConfig,
    out_dir: Path,
) -> Path:
    """Write index.html and the PNGs for an evaluation; ``rows`` are the classifier's output rows."""
    require_matplotlib()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TriageError(f"{out_dir}: cannot create the report folder ({exc.strerror})") from None
    sections = [_summary_section(report, rows, truth, config)]
    for head, head_report in report["heads"].items():
        y_true = np.asarray(truth[head], dtype=str)
        y_pred = np.asarray([r[head] for r in rows], dtype=str)
        confidence = np.asarray([r[f"{head}_confidence"] or 0.0 for r in rows], dtype=float)
        sections.append(_head_section(head, head_report, y_true, y_pred, confidence, clean_texts, out_dir))
    routing = config.head if config.head in report["heads"] else next(iter(report["heads"]))
    sections.append(_auto_answer_section(routing, rows, np.asarray(truth[routing], dtype=str), config, out_dir))
    page = _PAGE.format(title="inquiry-triage evaluation", body="\n".join(sections))
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


# --- sections -------------------------------------------------------------------------------------


def _summary_section(
    report: dict[str, Any], rows: list[dict[str, Any]], truth: dict[str, list[str]], config: TriageConfig
) -> str:
    actions = Counter(r["action"] for r in rows)
    n = max(len(rows), 1)
    items = [f"<li>{report['rows']:,} labeled messages</li>"]
    for head, h in report["heads"].items():
        ece = f", calibration error (ECE) {h['ece']:.3f}" if "ece" in h else ""
        items.append(f"<li><b>{_e(head)}</b>: accuracy {h['accuracy']:.1%}, macro-F1 {h['macro_f1']:.3f}{ece}</li>")
    routing = config.head if config.head in report["heads"] else next(iter(report["heads"]))
    reviewed = np.asarray([r["action"] == "review" for r in rows], dtype=bool)
    correct = np.asarray([r[routing] == t for r, t in zip(rows, truth[routing], strict=True)], dtype=bool)
    review = (
        f"<li><b>Review rate</b>: {report['review_rate']:.1%} of messages go to a person "
        f"(routing-head confidence below {config.reject_below:.3f}).</li>"
    )
    if reviewed.any() and (~reviewed).any():
        review += (
            f"<li>{_e(routing)} accuracy on messages decided automatically: {correct[~reviewed].mean():.1%}; "
            f"on messages sent to review: {correct[reviewed].mean():.1%}.</li>"
        )
    shares = ", ".join(f"{a} {actions.get(a, 0) / n:.1%}" for a in ("auto_answer", "route", "escalate", "review"))
    items += [review, f"<li>Actions: {shares}</li>"]
    return "<h1>Evaluation report</h1>\n<ul>" + "\n".join(items) + "</ul>"


def _head_section(
    head: str,
    head_report: dict[str, Any],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    confidence: np.ndarray,
    clean_texts: list[str],
    out_dir: Path,
) -> str:
    slug = _slug(head)
    classes = list(head_report["per_class"])
    plot_per_class(head_report["per_class"], out_dir / f"{slug}_per_class.png", head)
    plot_confusion(y_true, y_pred, classes, out_dir / f"{slug}_confusion.png", head)
    plot_reliability(y_true == y_pred, confidence, out_dir / f"{slug}_reliability.png", head)
    table = ["<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"]
    for label, m in head_report["per_class"].items():
        weak = ' class="weak"' if m["f1"] < 0.7 else ""
        table.append(
            f"<tr{weak}><td>{_e(label)}</td><td>{m['precision']:.3f}</td><td>{m['recall']:.3f}</td>"
            f"<td>{m['f1']:.3f}</td><td>{m['support']}</td></tr>"
        )
    table.append("</table>")
    ece = head_report.get("ece")
    return "\n".join(
        [
            f"<h2>{_e(head)}</h2>",
            f"<p>Accuracy {head_report['accuracy']:.1%}, macro-F1 {head_report['macro_f1']:.3f}, "
            f"micro-F1 {head_report['micro_f1']:.3f}. Rows with F1 below 0.7 are highlighted.</p>",
            "\n".join(table),
            _img(f"{slug}_per_class.png", f"{head}: precision, recall and F1 per class"),
            "<h3>Confusion matrix</h3><p>Rows: true class; columns: predicted class; "
            "colour: share of the true class.</p>",
            _img(f"{slug}_confusion.png", f"{head}: confusion matrix"),
            "<h3>Calibration</h3>"
            + (
                f"<p>Expected calibration error {ece:.3f}: on average, confidence and accuracy differ by "
                f"{ece:.1%}. Points on the diagonal mean a confidence of 0.8 is right 80% of the time.</p>"
                if ece is not None
                else ""
            ),
            _img(f"{slug}_reliability.png", f"{head}: reliability diagram"),
            "<h3>Most confused pairs</h3>",
            confused_pairs_html(y_true, y_pred, clean_texts),
        ]
    )


def _auto_answer_section(
    head: str, rows: list[dict[str, Any]], y_true: np.ndarray, config: TriageConfig, out_dir: Path
) -> str:
    answerable = sorted(t for t, rule in config.topics.items() if rule.auto_answer and t in config.templates)
    title = "<h2>Auto-answer: coverage vs precision</h2>"
    if not answerable:
        return title + "<p>The decision config auto-answers no topic, so there is no curve to show.</p>"
    curve = auto_answer_curve(head, rows, y_true, config)
    answered = np.asarray([r["action"] == "auto_answer" for r in rows], dtype=bool)
    y_pred = np.asarray([r[head] for r in rows], dtype=str)
    coverage = float(answered.mean()) if len(rows) else 0.0
    precision = float((y_pred[answered] == y_true[answered]).mean()) if answered.any() else None
    plot_auto_answer(curve, (coverage, precision), out_dir / "auto_answer.png")
    shown = f"{precision:.1%}" if precision is not None else "n/a"
    thresholds = "".join(
        f"<tr><td>{_e(t)}</td><td>{config.topics[t].min_confidence:.3f}"
        + (" (never: target not reached)" if config.topics[t].min_confidence > 1 else "")
        + "</td></tr>"
        for t in answerable
    )
    return "\n".join(
        [
            title,
            f"<p>With the model's decision config, {coverage:.1%} of messages are answered automatically, "
            f"at a precision of {shown} (share whose {_e(head)} is right). The curve shows what a single "
            "confidence threshold over all auto-answerable topics would give; the marked point is the "
            "config's per-topic thresholds.</p>",
            _img("auto_answer.png", "auto-answer coverage vs precision"),
            f"<table><tr><th>auto-answerable topic</th><th>min confidence</th></tr>{thresholds}</table>",
        ]
    )


# --- computations (pure, testable) ----------------------------------------------------------------


def confused_pairs(y_true: np.ndarray, y_pred: np.ndarray, top: int = CONFUSED_PAIRS) -> list[tuple[str, str, int]]:
    """The ``top`` most frequent (true, predicted) mistakes, most frequent first."""
    wrong = Counter((str(t), str(p)) for t, p in zip(y_true, y_pred, strict=True) if t != p)
    return [(t, p, n) for (t, p), n in sorted(wrong.items(), key=lambda item: (-item[1], item[0]))[:top]]


def confused_pairs_html(y_true: np.ndarray, y_pred: np.ndarray, clean_texts: list[str]) -> str:
    pairs = confused_pairs(y_true, y_pred)
    if not pairs:
        return "<p>No mistakes.</p>"
    out = ["<table><tr><th>true</th><th>predicted as</th><th>count</th><th>examples (normalized, shortened)</th></tr>"]
    for true, pred, n in pairs:
        idx = np.flatnonzero((y_true == true) & (y_pred == pred))[:EXAMPLES_PER_PAIR]
        examples = "<br>".join(f"“{_e(snippet(clean_texts[i], 140))}”" for i in idx)
        out.append(f"<tr><td>{_e(true)}</td><td>{_e(pred)}</td><td>{n}</td><td class='ex'>{examples}</td></tr>")
    return "\n".join([*out, "</table>"])


def auto_answer_curve(
    head: str, rows: list[dict[str, Any]], y_true: np.ndarray, config: TriageConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thresholds, coverage and precision of auto-answering eligible messages above one global threshold.

    Eligible: predicted topic auto-answerable, urgency allowed (not escalated) and not sent to review.
    """
    y_pred = np.asarray([r[head] for r in rows], dtype=str)
    confidence = np.asarray([r[f"{head}_confidence"] or 0.0 for r in rows], dtype=float)
    answerable = {t for t, rule in config.topics.items() if rule.auto_answer and t in config.templates}
    eligible = np.isin(y_pred, sorted(answerable)) & (confidence >= config.reject_below)
    if config.urgency_head and rows and config.urgency_head in rows[0]:
        urgency = np.asarray([r[config.urgency_head] for r in rows], dtype=str)
        eligible &= np.isin(urgency, config.auto_answer_urgency) & ~np.isin(urgency, config.escalate_urgency)
    order = np.argsort(-confidence[eligible], kind="stable")
    conf = confidence[eligible][order]
    hits = (y_pred[eligible] == y_true[eligible])[order]
    if not len(conf):
        return np.empty(0), np.empty(0), np.empty(0)
    coverage = np.arange(1, len(conf) + 1) / max(len(rows), 1)
    precision = np.cumsum(hits) / np.arange(1, len(conf) + 1)
    return conf, coverage, precision


def reliability_bins(
    correct: np.ndarray, confidence: np.ndarray, bins: int = ECE_BINS
) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, count) per non-empty equal-width confidence bin."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append((float(confidence[mask].mean()), float(correct[mask].mean()), int(mask.sum())))
    return out


# --- plots ----------------------------------------------------------------------------------------


def _figure(width: float, height: float):
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def plot_per_class(per_class: dict[str, dict[str, Any]], path: Path, head: str) -> None:
    labels = list(per_class)
    y = np.arange(len(labels))
    fig = _figure(8, 1.2 + 0.38 * len(labels))
    ax = fig.add_subplot()
    for offset, (metric, colour) in zip(
        (-0.27, 0.0, 0.27), (("precision", "#4c72b0"), ("recall", "#dd8452"), ("f1", "#55a868")), strict=True
    ):
        ax.barh(y + offset, [per_class[c][metric] for c in labels], height=0.26, color=colour, label=metric)
    ax.set_yticks(y, [f"{c} (n={per_class[c]['support']})" for c in labels], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("score")
    ax.set_title(f"{head}: precision, recall and F1 per class", pad=22)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, fontsize=8, frameon=False)
    fig.savefig(path)


def plot_confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str], path: Path, head: str) -> None:
    index = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes)), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        counts[index[t], index[p]] += 1
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = min(max(5.0, 0.45 * len(classes) + 2.5), 30.0)
    fig = _figure(size + 1, size)
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    font = 8 if len(classes) <= 20 else 5
    ax.set_xticks(range(len(classes)), classes, rotation=60, ha="right", fontsize=font)
    ax.set_yticks(range(len(classes)), classes, fontsize=font)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{head}: confusion matrix (counts; colour = share of true class)")
    if len(classes) <= 20:
        for i, j in zip(*np.nonzero(counts), strict=True):
            colour = "white" if share[i, j] > 0.5 else "black"
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8, color=colour)
    fig.colorbar(image, ax=ax, shrink=0.7)
    fig.savefig(path)


def plot_reliability(correct: np.ndarray, confidence: np.ndarray, path: Path, head: str) -> None:
    from classifier.evaluation import expected_calibration_error

    bins = reliability_bins(correct, confidence)
    ece = expected_calibration_error(correct, confidence, bins=ECE_BINS) if len(correct) else 0.0
    fig = _figure(6, 6.5)
    top, bottom = fig.subplots(2, 1, height_ratios=(3, 1), sharex=True)
    top.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    if bins:
        mean_conf, accuracy, counts = (np.asarray(v) for v in zip(*bins, strict=True))
        top.plot(mean_conf, accuracy, "o-", color="#4c72b0", label="model")
        width = 1.0 / ECE_BINS
        centres = (np.minimum((mean_conf * ECE_BINS).astype(int), ECE_BINS - 1) + 0.5) * width
        bottom.bar(centres, counts, width=width * 0.9, color="#999999")
    top.set_ylim(0, 1.02)
    top.set_ylabel("accuracy")
    top.set_title(f"{head}: reliability diagram (ECE {ece:.3f})")
    top.legend(loc="upper left", fontsize=8)
    top.grid(alpha=0.3)
    bottom.set_xlim(0, 1)
    bottom.set_xlabel("confidence")
    bottom.set_ylabel("messages")
    fig.savefig(path)


def plot_auto_answer(
    curve: tuple[np.ndarray, np.ndarray, np.ndarray], chosen: tuple[float, float | None], path: Path
) -> None:
    thresholds, coverage, precision = curve
    fig = _figure(7, 5)
    ax = fig.add_subplot()
    if len(coverage):
        ax.plot(coverage, precision, color="#4c72b0", label="one threshold for all auto-answerable topics")
        for t in (0.5, 0.7, 0.9):
            below = np.flatnonzero(thresholds >= t)
            if len(below):
                k = below[-1]
                ax.annotate(
                    f"≥{t:.1f}", (coverage[k], precision[k]), fontsize=8, textcoords="offset points", xytext=(4, -12)
                )
    cov, prec = chosen
    if prec is not None:
        ax.plot([cov], [prec], "o", color="#c44e52", markersize=9, label=f"chosen: {cov:.1%} at {prec:.1%}")
    ax.set_xlabel("coverage (share of all messages auto-answered)")
    ax.set_ylabel("precision (auto-answers with the right topic)")
    ax.set_ylim(min(0.5, float(precision.min()) if len(precision) else 0.5) - 0.02, 1.01)
    ax.set_xlim(0, max(float(coverage.max()) if len(coverage) else 0.0, cov, 0.01) * 1.12)
    ax.grid(alpha=0.3)
    ax.set_title("Auto-answer: coverage vs precision")
    ax.legend(loc="lower left", fontsize=8)
    fig.savefig(path)


# --- html -----------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text))


def _img(name: str, alt: str) -> str:
    return f'<p><img src="{_e(name)}" alt="{_e(alt)}"></p>'


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name) or "head"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; font-size: 14px; vertical-align: top; }}
tr.weak td {{ background: #fdecea; }}
td.ex {{ font-size: 12px; color: #444; }}
img {{ max-width: 100%; }}
</style></head>
<body>
{body}
</body></html>
"""
