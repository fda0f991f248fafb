"""``alignboard eval``, ``generate`` and ``probe``: one model, evaluated or asked."""

from __future__ import annotations

import click
from rich.table import Table

from harness.assets import EMBEDDED_MODEL
from harness.cli.base import cli, err, out, parse_sets, verbose
from harness.errors import AlignboardError
from harness.judges import DEFAULT_JUDGE


@cli.command("eval")
@click.option("--tasks", "task_list", default="alignboard_all_mini", show_default=True,
              help="Comma-separated alignboard tasks or groups.")
@click.option("--model", default=EMBEDDED_MODEL, show_default=True)
@click.option("--adapter", type=click.Path(file_okay=False), help="LoRA adapter folder (an aligner's output).")
@click.option("--aligner", help="Apply this aligner's inference template (prefill, postprocessing).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Aligner config field (JSON value).")
@click.option("--hint/--no-hint", default=None,
              help="Put the shared harmlessness hint before every prompt [default: the aligner's own default].")
@click.option("--judge", default=DEFAULT_JUDGE, show_default=True)
@click.option("--judge-set", "judge_sets", multiple=True, metavar="KEY=VALUE", help="Judge config field.")
@click.option("--task-judge", "task_judges", multiple=True, metavar="PROTOCOL=JUDGE",
              help="Score a protocol's tasks (harmbench, strongreject) with this judge instead of its own.")
@click.option("--task-judge-set", "task_judge_sets", multiple=True, metavar="PROTOCOL.KEY=VALUE",
              help="Config field of a protocol's judge, e.g. harmbench.backend=local.")
@click.option("--task-max-new-tokens", "task_clips", multiple=True, metavar="PROTOCOL=N",
              help="End a protocol's answers after N new tokens instead of its own length (a deviation the output "
                   "names; quick offline checks).")
@click.option("--limit", type=int, help="At most N prompts per task (testing only).")
@click.option("--batch-size", default=8, show_default=True)
@click.option("--backend", type=click.Choice(["alignboard", "hf", "vllm"]), default="alignboard", show_default=True,
              help="Generation backend: alignboard's own (cached), lm-eval's hf, or vLLM (GPU).")
@click.option("--output", type=click.Path(dir_okay=False), help="Write lm-eval's results JSON here.")
@click.option("--max-unjudged", default=0.05, show_default=True,
              help="Exit non-zero when a task has a larger share of answers the judge could not judge.")
@click.option("--include-path", "include_paths", multiple=True, type=click.Path(file_okay=False, exists=True),
              help="A folder of more task YAML files (repeatable).")
@click.option("--record", "store", type=click.Path(file_okay=False),
              help="Add the judged samples as an entry to this results store (for `alignboard leaderboard`).")
@click.option("--artifact", type=click.Path(dir_okay=False, exists=True),
              help="The aligner's artifact.json: its config, seed and training cost go into the entry.")
def eval_cmd(task_list, model, adapter, aligner, sets, hint, judge, judge_sets, task_judges, task_judge_sets, task_clips,
             limit, batch_size, backend, output, max_unjudged, include_paths, store, artifact) -> None:
    """Evaluate a model (+ adapter) on alignboard's lm-eval tasks with a judge (protocol tasks: their own)."""
    import json

    from harness.evaluation import evaluate
    from harness.io import atomic_write_text

    from leaderboards.store import Store

    from pathlib import Path

    from aligners.api import TRAIN_PROMPTS, trained_adapter
    from harness.data.pools import PoolSpec

    art = json.loads(open(artifact).read()) if artifact else {}
    # an artifact's own pools and training prompts: its evaluation set is checked against what it trained on
    prompts_file = Path(artifact).parent / TRAIN_PROMPTS if artifact else None
    train_prompts = json.loads(prompts_file.read_text()) if prompts_file and prompts_file.is_file() else None
    aligner = aligner or art.get("aligner")
    aligner_config = parse_sets(sets) or art.get("config") or {}
    if adapter is None and artifact:
        adapter = trained_adapter(art, Path(artifact))
    import contextlib

    from harness.assets import home
    from harness.logs import to_file

    st = Store(store) if store else None  # refuse a bad store before spending time on evaluation
    with contextlib.nullcontext() if verbose() else to_file(home() / "logs" / "eval.log"):  # library chatter
        res = evaluate([t.strip() for t in task_list.split(",") if t.strip()], model, adapter, aligner,
                       aligner_config, judge, parse_sets(judge_sets), limit, batch_size, log_samples=True,
                       backend=backend, pools=PoolSpec.from_meta(art.get("pools")), train_prompts=train_prompts,
                       hint=hint, include_path=include_paths,
                       judges=protocol_judges(task_judges, task_judge_sets, task_clips))
    t = Table("task", "metric", "value", "95% CI", "judged by")
    for name, task in sorted(res.tasks.items()):
        for metric, value in task.metrics.items():
            t.add_row(name, metric, "n/a (no judged value)" if value is None else f"{value:.3f}",
                      _interval(task, metric), task.judge_identity)
    out.print(t)
    for name, task in sorted(res.tasks.items()):
        if task.unjudged:
            out.print(f"{name}: {task.unjudged} of {task.n} answers unjudged (no value; left out of every mean, "
                      "counted in unparseable)")
        if task.info.protocol == "alpacaeval" and task.metrics.get("lc_win_rate") is None:
            out.print(f"{name}: length-controlled win rate not computed: alpaca_eval's GLM reads df_gamed.csv of "
                      "tatsu-lab/alpaca_eval from the hub, which is not reachable (see the eval log)")
    for name, task in sorted(res.tasks.items()):
        if (clip := task.protocol or {}).get("protocol_max_new_tokens"):
            out.print(f"{name}: answers clipped at {clip['max_new_tokens']} new tokens (the protocol generates "
                      f"{clip['protocol_max_new_tokens']}): not comparable with published numbers")
    if output:
        atomic_write_text(output, res.model_dump_json(indent=2, exclude={"tasks": {"__all__": {"samples"}}}))
        out.print(f"results: {output}")
    if st:
        from leaderboards.entry import from_eval

        entry = from_eval(res, aligner or "base", aligner_config, art.get("seed", 0), art.get("cost"),
                          response_checks=art.get("response_checks"))
        out.print(f"recorded entry {st.add(entry)} in {store}")
        for line in st.replaced:
            err.print(f"warning: replaced store entry {line}", markup=False, highlight=False, soft_wrap=True)
    # tasks in which more than max_unjudged of the answers could not be judged
    unjudged = [f"{name}: {task.unjudged} of {task.n}" for name, task in sorted(res.tasks.items())
                if task.n and task.unjudged / task.n > max_unjudged]
    if unjudged:
        kept = ", ".join(x for x in (output and f"results in {output}", st and f"entry in {store}") if x)
        raise AlignboardError(f"answers could not be judged (more than {max_unjudged:.0%}): {'; '.join(unjudged)}"
                              + (f"; {kept}" if kept else ""))


_STANDARD_ERRORS = {"win_rate": "standard_error", "lc_win_rate": "lc_standard_error"}  # alpaca_eval's own


def _interval(task, metric: str) -> str:
    """A metric's 95% CI: from its protocol's own standard error where it reports one (normal), else the bootstrap
    over the logged samples; empty when there is neither."""
    value = task.metrics.get(metric)
    if value is None or metric == "unparseable" or metric in _STANDARD_ERRORS.values():
        return ""
    se = task.metrics.get(_STANDARD_ERRORS.get(metric, ""))
    if se is not None:
        return f"[{value - 1.96 * se:.3f}, {value + 1.96 * se:.3f}]"
    est = task.estimate(metric)
    return f"[{est.ci_low:.3f}, {est.ci_high:.3f}]" if est else ""


def protocol_judges(pairs: tuple[str, ...], sets: tuple[str, ...], clips: tuple[str, ...] = ()) -> dict[str, dict]:
    """``--task-judge`` / ``--task-judge-set`` / ``--task-max-new-tokens`` as the ``judges`` table:
    {protocol: {"judge", "config"[, "max_new_tokens"]}}."""
    from harness.evalset import protocols

    known = protocols()
    table: dict[str, dict] = {}

    def entry(protocol: str, flag: str) -> dict:
        if protocol not in known:
            raise AlignboardError(f"{flag}: unknown protocol {protocol!r}; known: {', '.join(sorted(known))}")
        return table.setdefault(protocol, {"judge": known[protocol], "config": {}})

    for pair in pairs:
        protocol, sep, name = pair.partition("=")
        if not sep or not name:
            raise AlignboardError(f"--task-judge expects PROTOCOL=JUDGE, got {pair!r}")
        entry(protocol, "--task-judge")["judge"] = name
    for pair in sets:
        protocol, dot, rest = pair.partition(".")
        if not dot:
            raise AlignboardError(f"--task-judge-set expects PROTOCOL.KEY=VALUE, got {pair!r}")
        entry(protocol, "--task-judge-set")["config"].update(parse_sets((rest,)))
    for pair in clips:
        protocol, sep, n = pair.partition("=")
        if not sep or not n.isdigit() or int(n) < 1:
            raise AlignboardError(f"--task-max-new-tokens expects PROTOCOL=N (N a positive integer), got {pair!r}")
        entry(protocol, "--task-max-new-tokens")["max_new_tokens"] = int(n)
    return table


@cli.group()
def probe() -> None:
    """Measurements of one model (the paper's discrimination-vs-generation gap)."""


@probe.command("discrimination")
@click.option("--model", default=EMBEDDED_MODEL, show_default=True)
@click.option("--adapter", type=click.Path(file_okay=False))
@click.option("--n", default=24, show_default=True, help="Harmful prompts and labelled responses to use.")
@click.option("--judge", "judge_name", default=DEFAULT_JUDGE, show_default=True,
              help="Judge of the generated answers.")
def probe_discrimination(model: str, adapter: str | None, n: int, judge_name: str) -> None:
    """Generation harmlessness on harmful prompts next to discrimination accuracy on labelled responses."""
    from harness.discrimination import measure
    from harness.models import load_model

    r = measure(load_model(model, adapter), n, judge_name)
    out.print(f"generation harmlessness: {r['generation_harmlessness']:.2f} "
              f"[{r['generation_ci'][0]:.2f}, {r['generation_ci'][1]:.2f}] on {r['n_prompts']} HarmBench prompts "
              f"(judge {r['judge']})")
    out.print(f"discrimination accuracy: {r['discrimination_accuracy']:.2f} "
              f"[{r['discrimination_ci'][0]:.2f}, {r['discrimination_ci'][1]:.2f}] on {r['n_labelled']} "
              "human-labelled responses (harm >= 0.5)")


@cli.command()
@click.argument("prompt")
@click.option("--model", default=EMBEDDED_MODEL, show_default=True,
              help="Embedded model name, local folder or hub id.")
@click.option("--adapter", type=click.Path(file_okay=False), help="LoRA adapter folder to apply.")
@click.option("--max-new-tokens", default=256, show_default=True)
@click.option("--temperature", default=0.0, show_default=True, help="0 = greedy.")
@click.option("--seed", default=0, show_default=True)
@click.option("--system", default=None, help="System prompt (default: the model's own).")
@click.option("--bf16", is_flag=True, help="Run in bfloat16 (faster on CPU, slightly different text).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the generation cache.")
def generate(prompt: str, model: str, adapter: str | None, max_new_tokens: int, temperature: float, seed: int,
             system: str | None, bf16: bool, no_cache: bool) -> None:
    """Answer PROMPT with a model (and optional adapter)."""
    from harness.generation import GenerationSettings
    from harness.generation import generate as gen
    from harness.models import load_model

    if max_new_tokens < 1 or temperature < 0:
        raise AlignboardError("--max-new-tokens must be >= 1 and --temperature >= 0")
    lm = load_model(model, adapter, "bfloat16" if bf16 else "float32")
    settings = GenerationSettings(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed,
                                  batch_size=1, system_prompt=system)
    out.print(gen(lm, [prompt], settings, cache=not no_cache, progress=False)[0], markup=False, highlight=False)
