"""``saathi simulate``: what a schedule will cost and what it will leave remembered.

Thin adapter over ``app.simulation``: parses options, runs the comparison, prints the
table and, when asked with ``--plot PATH``, draws the chart. Nothing is written anywhere
else: a run from a checkout must not change a tracked file (docs/learning-results.png is
redrawn on purpose, with ``--plot docs/learning-results.png``). docs/learning.md explains
the figures and shows a run.
"""
from __future__ import annotations

import os
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from app.learning.policy import Policy


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@click.command("simulate")
@click.option("--learners", default=1000, show_default=True, help="Simulated learners per schedule.")
@click.option("--days", default=90, show_default=True, help="Days simulated after the first session.")
@click.option("--seed", "seeds", default="1", show_default=True,
              help="Same seed, same figures. Several (1,2,3): a table each, and a verdict on their means.")
@click.option("--pack", default="digital-banking", show_default=True, help="A pack directory under content/.")
@click.option("--languages", default="en,hi", show_default=True,
              help="Learners' languages, shared out in turn (Hindi texts cost more segments).")
@click.option("--session-every", default=7, show_default=True,
              help="Days between the pack's classroom sessions (one module each).")
@click.option("--model", "models", multiple=True,
              help="Learner memory model: hlr (default), act-r, or your own as package.module:Class "
                   "(docs/learning.md). Repeatable: a table and a verdict for each.")
@click.option("--schedule", "specs", multiple=True,
              help="A schedule to compare (repeatable): fsrs:0.9, fsrs:0.85:cap=2:rem=0, fsrs:0.95:max=14, fixed:7, "
                   "fixed:1-6-12-48, leitner:1-2-4-8-16, quiz-only, none. Default: the standard set.")
@click.option("--checkpoints", default="30,90", show_default=True, help="Days at which recall is measured.")
@click.option("--country", default="IN", show_default=True,
              help="Prices of this country in the price table (SAATHI_PRICES; IN, NO, NL by default).")
@click.option("--price-per-segment", type=float, help="Price of one SMS segment (overrides --country).")
@click.option("--price-per-minute", type=float, help="Price of one voice minute (overrides --country).")
@click.option("--currency", help="ISO code of the currency the prices are in (overrides --country's): USD, EUR.")
@click.option("--voice-share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of learners on channel voice (a call instead of a text; fast engine only).")
@click.option("--whatsapp-share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of learners on channel whatsapp (free inside the 24-hour window, a paid template "
                   "outside it; both engines).")
@click.option("--engine", type=click.Choice(["fast", "db"]), default="fast", show_default=True,
              help="fast: the planner's rules replayed in memory; db: every message through the real "
                   "planner, outbox and engine on SQLite (about 100 times slower, same figures).")
@click.option("--jobs", type=int, default=lambda: os.cpu_count() or 1, show_default="CPU count",
              help="Parallel processes.")
@click.option("--plot", "plot_path", metavar="PATH",
              help="Also draw the chart into PATH (.png or .svg). Without it no file is written.")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown too.")
@with_appcontext
def simulate_cmd(learners, days, seeds, pack, languages, session_every, models, specs, checkpoints,
                 country, price_per_segment, price_per_minute, currency, voice_share, whatsapp_share, engine, jobs, plot_path,
                 markdown):
    """Simulate cohorts under several schedules: cost, and items remembered per segment.

    Every schedule runs the same simulated learners on a virtual clock; nothing is sent
    anywhere. ``--engine db`` puts every message through the real planner, outbox and
    engine on a throwaway database; the default replays their rules in memory.
    """
    from dataclasses import replace

    from app.reports.costs import PriceError, price_table
    from app.simulation import report
    from app.simulation.compare import VOICE_DB_REFUSAL, compare
    from app.simulation.learner_model import display_name, memory_model
    from app.simulation.runner import SimConfig
    from app.simulation.schedules import DEFAULT_SPECS, parse

    base = Policy.from_config(current_app.config)
    try:
        schedules = [parse(spec, base) for spec in (specs or DEFAULT_SPECS)]
        marks = tuple(sorted({int(d) for d in _csv(checkpoints)}))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if not marks or max(marks) > days:
        raise click.BadParameter(f"checkpoints must be days between 0 and {days}")
    if len({s.name for s in schedules}) != len(schedules):
        raise click.BadParameter("the same schedule is listed twice")
    content = os.path.join(current_app.config["CONTENT_DIR"], pack)
    if not os.path.exists(os.path.join(content, "pack.yaml")):
        raise click.BadParameter(f"no pack {pack!r} in {current_app.config['CONTENT_DIR']}")
    if engine == "db" and voice_share > 0:
        raise click.BadParameter(VOICE_DB_REFUSAL, param_hint="'--voice-share'")
    if voice_share + whatsapp_share > 1:
        raise click.BadParameter("the voice and WhatsApp shares add up to more than all learners",
                                 param_hint="'--whatsapp-share'")
    try:
        table = price_table(current_app.config)
    except PriceError as exc:
        raise click.ClickException(str(exc)) from None
    if country.upper() not in table:
        raise click.BadParameter(f"no prices for {country!r} (the price table has {', '.join(sorted(table))})",
                                 param_hint="'--country'")
    price = table[country.upper()]
    price = replace(price, sms_segment=price_per_segment if price_per_segment is not None else price.sms_segment,
                    voice_minute=price_per_minute if price_per_minute is not None else price.voice_minute,
                    currency=(currency or price.currency).upper())
    models = models or ("hlr",)
    try:
        seed_list = tuple(int(x) for x in _csv(seeds))
        for name in models:
            memory_model(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if not seed_list:
        raise click.BadParameter("give at least one seed", param_hint="'--seed'")
    default = parse(f"fsrs:{base.desired_retention}:fit", base).name
    started = time.perf_counter()
    verdicts, first = [], None

    def progress(result):
        click.echo(f"  {result.schedule.name:<22} {result.cpu_seconds:7.1f} s of simulation "
                   f"({result.learners} learners), {result.wall_seconds:6.1f} s since start", err=True)

    for model_name in models:
        runs = []
        for seed in seed_list:
            cfg = SimConfig(learners=learners, days=days, seed=seed, pack=pack,
                            content_dir=current_app.config["CONTENT_DIR"], languages=_csv(languages),
                            session_every=session_every, model=model_name, checkpoints=marks,
                            voice_share=voice_share, whatsapp_share=whatsapp_share)
            click.echo(f"Simulating {learners} learners x {days} days, pack {pack}, learner model {model_name}, "
                       f"seed {seed}, {len(schedules)} schedules, {engine} engine on {jobs} process(es)"
                       + (f", {voice_share:.0%} of learners on voice" if voice_share else "")
                       + (f", {whatsapp_share:.0%} on WhatsApp" if whatsapp_share else ""), err=True)
            results = compare(schedules, cfg, jobs=jobs, progress=progress, engine=engine)
            runs.append(results)
            first = first or (results, model_name, seed)
            if len(models) * len(seed_list) > 1:
                click.echo(f"\nLearner model {display_name(model_name)}, seed {seed}:")
            _print_tables(results, price, default, markdown)
        found = report.verdict(runs, default, display_name(model_name))
        if found:
            verdicts.append(found)
    if verdicts:
        click.echo("\n" + "\n".join(v.line() for v in verdicts))
    elapsed = time.perf_counter() - started
    results, model_name, seed = first
    if plot_path and plot_path != "-":
        title = (f"{learners} simulated learners, pack {pack}, {days} days, learner model {model_name}, "
                 f"seed {seed}; * = Saathi's default")
        report.plot(results, plot_path, price, base=base, default=default, title=title)
        click.echo(f"chart: {plot_path}", err=True)
    click.echo(f"{learners} learners x {days} days x {len(schedules)} schedules x {len(models) * len(seed_list)} "
               f"run(s) in {elapsed:.1f} s "
               f"({engine} engine, {jobs} process(es)); slowest schedule {max(r.cpu_seconds for r in results):.1f} s "
               f"of process time")


def _print_tables(results, price, default: str, markdown: bool) -> None:
    from app.simulation import report

    table = report.rows(results, price, default=default)
    click.echo(report.text_table(table))
    if markdown:
        click.echo("\n" + report.markdown_table(table))
    by_channel = report.channel_rows(results, price)
    if by_channel:
        click.echo("\nBy channel, each on its own learners (bought: beyond the classroom alone)\n"
                   + report.text_table(by_channel))
        if markdown:
            click.echo("\n" + report.markdown_table(by_channel))
    for result in results:
        if result.schedule.name == default and result.totals.answers:
            recall = report.recall_rows(result)
            click.echo("\nSaathi's default: reviews answered right by days since the session "
                       "(as the dashboard shows a cohort)\n" + report.text_table(recall))
            if markdown:
                click.echo("\n" + report.markdown_table(recall))
