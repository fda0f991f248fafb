"""``alignboard judge``: list, validate and serve judges."""

from __future__ import annotations

import click
from rich.table import Table

from harness.assets import EMBEDDED_MODEL
from harness.cli.base import cli, out, parse_sets
from harness.errors import AlignboardError
from harness.judges import DEFAULT_JUDGE


@cli.group("judge")
def judge_group() -> None:
    """Judges: list them, measure their agreement with human labels."""


@judge_group.command("list")
def judge_list() -> None:
    """Every registered judge, with its measured agreement where stored: the worst kappa on the harmless verdict over
    the label sets (and which set), the kappa on harm, the share of harmful short answers it calls harmless, and its
    worst flip rate under a label-preserving perturbation."""
    from harness.judges import JUDGES, get_judge
    from harness.judges.robustness import worst
    from harness.judges.validate import stored_agreement

    t = Table("name", "description", "package", "worst kappa, harmless verdict (set)", "kappa (harm)",
              "harmful called harmless", "worst flip rate")
    for name in JUDGES.names():
        report = None
        try:
            report = stored_agreement(get_judge(name).identity())
        except AlignboardError:
            pass  # a judge that needs config (classifier) has no default identity
        flips = report and worst(report.robustness)
        low = report and report.worst("objective")
        t.add_row(f"{name} (default)" if name == DEFAULT_JUDGE else name, JUDGES.get(name).description,
                  JUDGES.providers[name], f"{low[1]} ({low[0]})" if low else "-",
                  str((report and report.kappa("harm")) or "-"), str((report and report.miss_rate()) or "-"),
                  f"{flips[1].rate.value:.2f} ({flips[0]})" if flips else "-")
    out.print(t)


@judge_group.command("validate")
@click.option("--judge", "name", default=DEFAULT_JUDGE, show_default=True)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Judge config field (JSON value).")
@click.option("--limit", type=int, help="Judge at most N holdout responses per target (fixed subsample).")
@click.option("--target", "targets", multiple=True, type=click.Choice(["refusal", "objective", "harm"]),
              help="Targets to measure [default: all three].")
@click.option("--robustness/--no-robustness", default=True, show_default=True,
              help="Also measure flip rates under label-preserving perturbations (more judge calls).")
def judge_validate(name: str, sets: tuple[str, ...], limit: int | None, targets: tuple[str, ...],
                   robustness: bool) -> None:
    """Agreement with each human-labelled holdout: accuracy, balanced accuracy, kappa, miss rate, AUC, 95% CIs."""
    from harness.judges import get_judge
    from harness.judges.labels import LABEL_SETS, TARGETS
    from harness.judges.validate import validate

    j = get_judge(name, **parse_sets(sets))
    j.check()
    measured = targets or tuple(TARGETS)
    report = validate(j, measured, limit, robustness=robustness)
    t = Table("labels", "target", "judged by", "n", "accuracy", "balanced acc.", "kappa", "missed [95% CI]", "AUC",
              "ECE", "unparseable")
    for labels in LABEL_SETS:
        for target in measured:  # the stored report also keeps what was measured before
            r = report.on(labels)[target]
            if not r.supported:
                t.add_row(labels, target, "-", "-", "not supported by this judge", *[""] * 6)
                continue
            t.add_row(labels, target, r.basis, str(r.n),
                      *(str(x or "-") for x in (r.accuracy, r.balanced_accuracy, r.kappa, r.miss_rate, r.auc)),
                      f"{r.calibration.ece:.3f}" if r.calibration else "-", str(r.unparseable))
    out.print(f"judge {report.identity} vs {report.labels}")
    out.print(t)
    low = report.worst("objective")
    out.print("missed: the share of positive labels the judge called negative (objective, harm: harmful answers "
              "called harmless; refusal: refusals it did not see; an answer it could not judge counts as missed)"
              + (f"; worst kappa on the harmless verdict: {low[1]} on {low[0]}" if low else ""))
    if robustness and report.robustness:
        r = Table("label-preserving perturbation", "n", "flips", "flip rate [95% CI]", "unjudged")
        for name_, f in report.robustness.items():
            rate = "n/a (no item judged)" if f.n == 0 else str(f.rate)
            r.add_row(name_, str(f.n), str(f.flips), rate, str(f.unjudged))
        out.print(r)
        out.print(f"FLAGGED: {report.flagged()}" if report.flagged() else "not flagged (every flip rate <= 0.20)")


@judge_group.command("compare")
@click.option("--judge", "name", default=DEFAULT_JUDGE, show_default=True)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Config field of --judge (JSON value).")
@click.option("--against", required=True, help="The judge to compare with.")
@click.option("--against-set", "against_sets", multiple=True, metavar="KEY=VALUE",
              help="Config field of --against (JSON value).")
@click.option("--limit", type=int, help="At most N holdout responses per target (fixed subsample).")
@click.option("--target", "targets", multiple=True, type=click.Choice(["refusal", "objective", "harm"]),
              help="Targets to compare [default: all three].")
def judge_compare(name: str, sets: tuple[str, ...], against: str, against_sets: tuple[str, ...], limit: int | None,
                  targets: tuple[str, ...]) -> None:
    """Which of two judges agrees better with the humans: kappa difference, paired 95% CI over objectives."""
    from harness.judges import get_judge
    from harness.judges.labels import TARGETS
    from harness.judges.validate import compare

    a, b = get_judge(name, **parse_sets(sets)), get_judge(against, **parse_sets(against_sets))
    a.check()
    b.check()
    t = Table("target", "n", "kappa A", "kappa B", "A - B [95% CI]", "verdict")
    for target, d in compare(a, b, targets or tuple(TARGETS), limit).items():
        if d is None:
            t.add_row(target, "-", "", "", "", "not supported by both judges")
        else:
            t.add_row(target, str(d.n), f"{d.a.value:.2f}", f"{d.b.value:.2f}", str(d.difference), d.verdict("A", "B"))
    out.print(f"A = {a.identity()}, B = {b.identity()}, on the human-labelled holdout; each interval resamples "
              "whole objectives, both judges on the same draw")
    out.print(t)


@judge_group.command("prompt")
@click.argument("name")
@click.option("--prompt", required=True, help="The prompt the model answered (HarmBench: the behaviour).")
@click.option("--response", required=True, help="The model's answer.")
@click.option("--context", help="HarmBench's context string (the contextual template).")
@click.option("--request", help="The plain request, when the prompt wrapped it (default: the prompt).")
@click.option("--rival", help="Another assistant's answer, for a pairwise judge (mtbench_pair).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Judge config field (JSON value).")
def judge_prompt(name: str, prompt: str, response: str, context: str | None, request: str | None, rival: str | None,
                 sets: tuple[str, ...]) -> None:
    """Print exactly what a protocol judge's model receives: a completion prompt byte for byte (no newline added),
    chat messages each under a [role] line. Nothing else goes to stdout."""
    import sys

    from harness.judges import Item, get_judge
    from harness.judges.protocol import ProtocolJudge

    j = get_judge(name, **parse_sets(sets))
    if not isinstance(j, ProtocolJudge):
        raise AlignboardError(f"judge {name} renders no published template; `judge prompt` takes a protocol judge: "
                              "harmbench_cls, llama_guard, strongreject, wildguard, xstest")
    rendered = j.render(Item(prompt, response, request=request, context=context,
                             rival=(rival,) if rival is not None else None))
    if isinstance(rendered, str):
        sys.stdout.write(rendered)
    else:
        sys.stdout.write("".join(f"[{m['role']}]\n{m['content']}\n" for m in rendered))


@judge_group.command("serve")
@click.option("--model", default=EMBEDDED_MODEL, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
def judge_serve(model: str, host: str, port: int) -> None:
    """Serve a local model as an OpenAI-compatible chat endpoint (for the `openai` judge)."""
    from harness.judges.server import ChatServer, model_answer

    server = ChatServer(model_answer(model), host, port, model_name=model)
    out.print(f"serving {model} at {server.base_url} (set OPENAI_BASE_URL to it); Ctrl-C stops")
    try:
        server.serve_forever()
    finally:
        server.server_close()
