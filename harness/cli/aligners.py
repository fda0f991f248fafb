"""``alignboard aligners``: list, show, train and scaffold aligners."""

from __future__ import annotations

import click
from rich.table import Table

from harness.assets import EMBEDDED_MODEL
from harness.cli.base import cli, err, out, parse_sets
from harness.judges import DEFAULT_JUDGE


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
    from aligners.api import ALIGNERS, framed_messages, get_aligner

    cls = ALIGNERS.get(name)
    out.print(f"[bold]{name}[/bold] ({ALIGNERS.providers[name]}): {cls.description}")
    if cls.__doc__:
        out.print(cls.__doc__.strip(), markup=False)
    t = Table("field", "type", "default", "description")
    for field, info in cls.Config.model_fields.items():
        kind = info.annotation.__name__ if isinstance(info.annotation, type) else str(info.annotation)
        t.add_row(field, kind.replace("typing.", ""), repr(info.default), info.description or "")
    out.print(t if cls.Config.model_fields else "no config fields")
    a = get_aligner(name)
    out.print(f"evaluated with the shared harmlessness hint by default: {'yes' if cls.default_hint else 'no'} "
              "(a spec row's hint = true/false overrides it); at evaluation the model sees:", soft_wrap=True)
    for m in framed_messages(a, "{prompt}", cls.default_hint):
        out.print(f"  [{m['role']}] {m['content']!r}" + (" (prefilled)" if m["role"] == "assistant" else ""),
                  markup=False, soft_wrap=True)
    if a.postprocess("{text}") != "{text}":
        out.print(f"and the answer judged is its postprocessed text: {a.postprocess('{text}')!r} from '{{text}}'",
                  markup=False, soft_wrap=True)


@aligners.command("train")
@click.argument("name")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Config field (JSON value), repeatable.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output folder [default: ./runs/NAME].")
@click.option("--model", default=EMBEDDED_MODEL, show_default=True)
@click.option("--responses", type=click.Choice(["self", "dataset"]), default="self", show_default=True,
              help="Where y+ / y- come from.")
@click.option("--seed", default=0, show_default=True)
@click.option("--verify-judge", default=DEFAULT_JUDGE, show_default=True,
              help="Judge that checks self-made y-/y+ before training ('none': unchecked).")
@click.option("--max-steps", type=int, help="Optimizer steps over all stages [default: the quick budget's].")
@click.option("--batch-size", type=int, help="Examples per step [default: the quick budget's].")
@click.option("--n-harmful", type=int, help="Harmful training instructions [default: the quick budget's].")
@click.option("--n-benign", type=int, help="Benign training instructions [default: the quick budget's].")
@click.option("--processes", type=click.IntRange(min=1), default=1, show_default=True,
              help="Train with N processes through `accelerate launch` (DDP; on CPU with gloo); the batch is split "
                   "over them.")
def aligners_train(name, sets, out_dir, model, responses, seed, verify_judge, processes, **sizes) -> None:
    """Train one aligner on the default pools and print its artifact."""
    from pathlib import Path

    from harness.processes import is_main

    if processes > 1:
        _relaunch(processes)
        return

    from aligners.api import QUICK_BUDGET, Budget, Context, get_aligner, run_aligner
    from harness.config import validated
    from harness.data.pools import PoolSpec, build_pools

    aligner = get_aligner(name, **parse_sets(sets))
    chosen = {k: v for k, v in sizes.items() if v is not None}
    budget = validated(Budget, "budget", {**QUICK_BUDGET.model_dump(), **chosen})
    from harness.judges import get_judge

    verifier = None if verify_judge == "none" else get_judge(verify_judge)
    ctx = Context(pools=build_pools(PoolSpec()), out_dir=Path(out_dir or f"runs/{name}"), base_model=model,
                  seed=seed, budget=budget, responses=responses, verifier=verifier)
    art = run_aligner(aligner, ctx)
    if is_main():
        out.print_json(art.model_dump_json())


def _relaunch(processes: int) -> None:
    """This same command again, without --processes, as N processes under ``accelerate launch``."""
    import subprocess
    import sys

    from harness.errors import AlignboardError

    args, argv = [], sys.argv[1:]
    while argv:
        a = argv.pop(0)
        if a == "--processes":
            argv.pop(0)
        elif not a.startswith("--processes="):
            args.append(a)
    # --multi_gpu is accelerate's torchrun launcher; without a GPU the trainer's processes use gloo on CPU
    # (accelerate's --cpu would start one process: its multi-CPU launcher is mpirun)
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "harness.cli", *args]
    err.print(f"launching {processes} processes: accelerate launch --multi_gpu --num_processes {processes} ... "
              f"-m harness.cli {' '.join(args)}", markup=False, soft_wrap=True)
    code = subprocess.run(cmd).returncode
    if code:
        raise AlignboardError(f"the {processes} training processes failed (exit {code}); see their output above")


@aligners.command("new")
@click.argument("name")
@click.option("--dir", "directory", default=".", show_default=True, type=click.Path(file_okay=False),
              help="Where to write the package folder alignboard-NAME.")
def aligners_new(name: str, directory: str) -> None:
    """Write a minimal working aligner plugin package (install it with pip to see it listed)."""
    from aligners.scaffold import write_plugin

    dest = write_plugin(name, directory)
    out.print(f"wrote {dest}; install it with: pip install -e {dest}", soft_wrap=True)
