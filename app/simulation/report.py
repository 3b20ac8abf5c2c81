"""The comparison as a programme manager reads it: a table and one chart.

Remembered items are per learner (the expected number of the pack's items a learner
would recall on that day: the sum of recall probabilities under the learner model).
"Per 100 segments" divides that by the SMS segments sent per learner; "bought" first
takes away what the classroom session alone leaves, so it is what the messages added.
With voice or WhatsApp learners (``--voice-share``, ``--whatsapp-share``) a column "per
₹100" divides by the whole cost, SMS, billed call minutes and WhatsApp messages together:
segments alone say nothing about a call or a WhatsApp message; and a second table puts
the channels side by side, each on its own learners. Money is the price table's
(``costs.Price``, the ``--country``'s currency), written by ``formatting.money_in``.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from babel.numbers import get_currency_symbol

from app.learning.policy import Policy
from app.reports.costs import Price
from app.simulation.compare import ScheduleResult
from app.web.formatting import money_in

LOCALE = "en"  # the CLI's tables and charts are English


def money(value: float | None, price: Price, digits: int = 2) -> str:
    return money_in(value, price.currency, LOCALE, digits)


def symbol(price: Price) -> str:
    """``₹``, ``€``; ``NOK`` where English has no symbol of its own."""
    return get_currency_symbol(price.currency, locale=LOCALE)


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "–" if value is None else fmt.format(value)


def baseline_of(results: list[ScheduleResult]) -> ScheduleResult | None:
    return next((r for r in results if not r.schedule.sends), None)


def _whatsapp(results: list[ScheduleResult]) -> bool:
    return any(r.totals.wa_messages for r in results)


def rows(results: list[ScheduleResult], price: Price, *, default: str | None = None) -> list[list[str]]:
    """Header and one row per schedule; ``default`` (a schedule name) is starred."""
    days = sorted(results[0].cfg.checkpoints)
    last = days[-1]
    baseline = baseline_of(results)
    items = results[0].totals.items
    wa = _whatsapp(results)
    mixed = wa or any(r.totals.calls for r in results)  # a column for the cost of every channel together
    head = ["schedule", "segments", "voice min", *(["WhatsApp (templates)"] if wa else []), f"cost ({symbol(price)})",
            *(f"day {d}" for d in days), f"per 100 seg (d{last})", f"bought per 100 seg (d{last})",
            *([f"per {money(100, price, 0)} (d{last})"] if mixed else []),
            "answers right", "to rare repliers"]
    out = [head]
    for r in results:
        star = " *" if r.schedule.name == default else ""
        out.append([
            r.schedule.label + star,
            _num(r.segments_per_learner),
            _num(r.voice_minutes_per_learner),
            *([f"{r.totals.wa_messages / r.learners:.1f} ({r.totals.wa_templates / r.learners:.1f})"] if wa else []),
            money(r.cost_per_learner(price), price),
            *(f"{r.remembered[d]:.1f} / {items}" for d in days),
            _num(r.per_100_segments(last), "{:.2f}"),
            _num(r.bought_per_100_segments(last, baseline) if r is not baseline else None, "{:.2f}"),
            *([_num(r.per_100_currency(last, price), "{:.2f}")] if mixed else []),
            _num(None if r.answer_share is None else 100 * r.answer_share, "{:.0f}%"),
            _num(None if r.rare_share is None else 100 * r.rare_share, "{:.0f}%"),
        ])
    return out


CHANNELS = ("sms", "voice", "whatsapp")


def channel_rows(results: list[ScheduleResult], price: Price) -> list[list[str]] | None:
    """SMS, voice and WhatsApp side by side: per sending schedule, each channel's learners,
    what they cost, what they remember at the last checkpoint, and the price of an item
    remembered, in all and beyond the classroom alone (the same learners with no messages).
    None with a single channel (or from the db engine, which keeps no per-learner costs)."""
    last = max(results[0].cfg.checkpoints)
    baseline = baseline_of(results)
    present = {c for r in results for c, *_ in r.totals.learner_costs}
    if len(present) < 2:
        return None
    head = ["schedule", "channel", "learners", f"cost ({symbol(price)})", f"remembered d{last}",
            "per item remembered", "per item bought"]
    out = [head]
    for r in results:
        if not r.schedule.sends:
            continue
        for channel in (c for c in CHANNELS if c in present):
            mine = [i for i, (c, *_) in enumerate(r.totals.learner_costs) if c == channel]
            if not mine:
                continue
            spent = math.fsum(_cost(r.totals.learner_costs[i], price) for i in mine) / len(mine)
            kept = math.fsum(r.totals.per_learner[last][i] for i in mine) / len(mine)
            base = (math.fsum(baseline.totals.per_learner[last][i] for i in mine) / len(mine)
                    if baseline is not None else None)
            bought = kept - base if base is not None else None
            out.append([r.schedule.label, channel, str(len(mine)), money(spent, price), f"{kept:.1f}",
                        money(spent / kept if kept else None, price),
                        money(spent / bought if bought and bought > 0 else None, price)])
    return out


def _cost(units: tuple, price: Price) -> float:
    _channel, segments, minutes, wa_messages, wa_templates = units
    return segments * price.sms_segment + minutes * price.voice_minute + price.whatsapp(wa_templates, wa_messages)


def text_table(table: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for n, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(table: list[list[str]]) -> str:
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "|".join(["---"] + ["---:"] * (len(table[0]) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    return "\n".join(lines)


# The bar for the default against the best fixed schedule: at least as many items
# remembered, and this many times the items bought per 100 segments.
GOAL = 1.3


@dataclass(frozen=True)
class Verdict:
    """Saathi's default against the best fixed schedule, on the means over ``seeds``."""

    day: int
    model: str
    seeds: tuple[int, ...]
    items: int
    ours: tuple[float, float]  # items remembered, bought per 100 segments
    best_label: str
    best: tuple[float, float]

    @property
    def ratio(self) -> float:
        return self.ours[1] / self.best[1] if self.best[1] else math.inf

    @property
    def met(self) -> bool:
        return self.ours[0] >= self.best[0] and self.ratio >= GOAL

    def line(self) -> str:
        seeds = f" (seed{'s' if len(self.seeds) > 1 else ''} {', '.join(map(str, self.seeds))})"
        return (f"Day {self.day}, {self.model}{seeds}: Saathi's default {self.ours[0]:.1f} of {self.items} items, "
                f"{self.ours[1]:.2f} bought per 100 segments; best fixed ({self.best_label}) "
                f"{self.best[0]:.1f} of {self.items}, {self.best[1]:.2f}: {self.ratio:.2f}×. "
                f"Goal (as many items, {GOAL:g}× bought): {'met' if self.met else 'not met'}.")


def verdict(runs: list[list[ScheduleResult]], default: str | None, model: str = "") -> Verdict | None:
    """The default against the fixed schedule that buys the most per 100 segments, each
    averaged over the runs (one per seed, the same schedules in each)."""
    first = runs[0]
    last = max(first[0].cfg.checkpoints)

    def mean(name: str) -> tuple[float, float] | None:
        values = []
        for results in runs:
            r = next(r for r in results if r.schedule.name == name)
            bought = r.bought_per_100_segments(last, baseline_of(results))
            if bought is None:
                return None
            values.append((r.remembered[last], bought))
        return sum(v[0] for v in values) / len(values), sum(v[1] for v in values) / len(values)

    ours = mean(default) if any(r.schedule.name == default for r in first) else None
    fixed = [(mean(r.schedule.name), r.schedule.label) for r in first if r.schedule.family == "fixed"]
    fixed = [(m, label) for m, label in fixed if m is not None]
    if ours is None or not fixed:
        return None
    best, label = max(fixed, key=lambda f: f[0][1])
    return Verdict(last, model, tuple(r[0].cfg.seed for r in runs), first[0].totals.items, ours, label, best)


def recall_rows(result: ScheduleResult) -> list[list[str]]:
    """Reviews answered right by days since the session, as the dashboard will show them
    (app/reports/learning.py) for a cohort on this schedule."""
    out = [["days since session", "reviews", "answered right"]]
    for label, (reviews, right) in result.totals.recall_by_days.items():
        if reviews:
            out.append([label, str(reviews), f"{100 * right / reviews:.0f}%"])
    return out


COLOURS = {"fsrs": "#1f6fb2", "fixed": "#d9822b", "baseline": "#7f7f7f", "oracle": "#6a3d9a"}


def plot(results: list[ScheduleResult], path: str, price: Price, *, base: Policy,
         default: str | None = None, title: str = "") -> None:
    """Cost against what is remembered at the last checkpoint, and what 100 segments buy."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        logging.getLogger("matplotlib").setLevel(logging.WARNING)  # font cache chatter
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the install
        raise RuntimeError("the chart needs matplotlib: pip install -e '.[sim]'") from None
    last = max(results[0].cfg.checkpoints)
    items = results[0].totals.items
    baseline = baseline_of(results)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.6), gridspec_kw={"width_ratios": [1.15, 1]})

    # FSRS at each retention, with the base cap, reminders and max interval: one line through them.
    fsrs = sorted((r for r in results if r.schedule.family == "fsrs"
                   and _settings(r.schedule.policy) == _settings(base)),
                  key=lambda r: r.schedule.policy.desired_retention)
    if len(fsrs) > 1:
        left.plot([r.cost_per_learner(price) for r in fsrs], [r.remembered[last] for r in fsrs],
                  color=COLOURS["fsrs"], lw=1, alpha=0.6, zorder=1)
    labels = []
    variants = False
    for r in results:
        x, y = r.cost_per_learner(price), r.remembered[last]
        is_default = r.schedule.name == default
        colour = COLOURS[r.schedule.family]
        if r.schedule.family == "fsrs" and r not in fsrs:  # another cap, reminders or max interval
            left.scatter([x], [y], s=30, facecolor="white", edgecolor=colour, zorder=2)
            variants = True
            continue
        left.scatter([x], [y], s=160 if is_default else 50, color=colour, marker="*" if is_default else "o",
                     zorder=3, edgecolor="black" if is_default else "none")
        labels.append((x, y, _short(r, base, default)))
    if variants:
        left.scatter([], [], s=30, facecolor="white", edgecolor=COLOURS["fsrs"],
                     label="FSRS, other settings (see right)")
        left.legend(loc="upper left", fontsize=8)
    left.set_ylim(-0.6, items * 0.85 if max(r.remembered[last] for r in results) < items * 0.75 else items + 0.5)
    _place_labels(left, labels)
    if baseline is not None:
        left.axhline(baseline.remembered[last], color=COLOURS["baseline"], ls="--", lw=1)
    cur = symbol(price)
    segment = f"{money(price.sms_segment, price)} per segment"
    if _whatsapp(results):
        left.set_xlabel(f"cost per learner ({cur}; {segment}, {money(price.voice_minute, price)} per call minute, "
                        f"{money(price.whatsapp_message, price)} per WhatsApp message "
                        f"+ {money(price.whatsapp_template, price)} per template)")
    elif any(r.totals.calls for r in results):
        left.set_xlabel(f"cost per learner ({cur}, {segment}, {money(price.voice_minute, price)} per call minute)")
    else:
        left.set_xlabel(f"SMS cost per learner ({cur}, {segment})")
    left.set_ylabel(f"items remembered at day {last} (of {items})")
    left.set_title(f"Cost and what is remembered at day {last}")
    left.grid(alpha=0.3)

    voice = any(r.totals.calls for r in results) or _whatsapp(results)

    def bought(r: ScheduleResult) -> float:
        """Extra items per 100 segments; with voice learners, per 100 of money (SMS and calls)."""
        if not voice:
            return r.bought_per_100_segments(last, baseline) or 0
        cost = r.cost_per_learner(price)
        return 100 * (r.remembered[last] - baseline.remembered[last]) / cost if cost and baseline else 0

    bars = sorted((r for r in results if r.schedule.sends), key=bought)
    values = [bought(r) for r in bars]
    right.barh([_short(r, base, default) for r in bars], values,
               color=[COLOURS[r.schedule.family] for r in bars],
               edgecolor=["black" if r.schedule.name == default else "none" for r in bars])
    for n, value in enumerate(values):
        right.text(value, n, f" {value:.2f}", va="center", fontsize=8)
    if voice:
        right.set_xlabel(f"extra items remembered at day {last} per {money(100, price, 0)} of messages and calls")
        right.set_title(f"What {money(100, price, 0)} buys (beyond the classroom alone)")
    else:
        right.set_xlabel(f"extra items remembered at day {last} per 100 SMS segments")
        right.set_title("What 100 segments buy (beyond the classroom alone)")
    right.tick_params(axis="y", labelsize=8)
    right.grid(axis="x", alpha=0.3)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _settings(policy: Policy) -> tuple:
    return policy.daily_cap, policy.reminders, policy.max_interval_days


def _place_labels(ax, labels: list[tuple[float, float, str]], size: int = 8) -> None:
    """Label points without overlaps: each label beside its point, nudged up when it would
    cover one already placed (a leader line shows where it belongs)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    fig_w, fig_h = ax.figure.get_size_inches() * ax.get_position().size
    char_w, line_h = size / 72 * 0.55 / fig_w, size / 72 * 1.5 / fig_h  # in axes fractions
    placed: list[tuple[float, float, float, float]] = []
    for x, y, text in sorted(labels, key=lambda label: label[1]):
        fx, fy = (x - x0) / (x1 - x0), (y - y0) / (y1 - y0)
        width = len(text) * char_w
        left_side = fx + 0.015 + width > 0.98
        bx = fx - 0.015 - width if left_side else fx + 0.015
        by = fy - line_h / 2
        while any(bx < px + pw and px < bx + width and by < py + ph and py < by + line_h
                  for px, py, pw, ph in placed):
            by += line_h / 3
        placed.append((bx, by, width, line_h))
        ax.annotate(text, (x, y), xytext=(bx if not left_side else bx + width, by + line_h / 2),
                    textcoords="axes fraction", fontsize=size, va="center",
                    ha="right" if left_side else "left",
                    arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.5} if by - (fy - line_h / 2) > line_h / 2
                    else None)


def _short(r: ScheduleResult, base: Policy, default: str | None = None) -> str:
    s = r.schedule
    mark = " = Saathi's default" if s.name == default else ""
    if s.family != "fsrs":
        return s.label + mark
    extra = []
    if s.policy.daily_cap != base.daily_cap:
        extra.append(f"cap {s.policy.daily_cap}")
    if s.policy.reminders != base.reminders:
        extra.append(f"{s.policy.reminders} reminder" + ("s" if s.policy.reminders != 1 else ""))
    if s.policy.max_interval_days != base.max_interval_days:
        extra.append(f"max {s.policy.max_interval_days} d")
    if s.refit:
        extra.append("refitted")
    return f"FSRS {s.policy.desired_retention:.2f}" + (f" ({', '.join(extra)})" if extra else "") + mark
