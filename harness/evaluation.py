"""Running alignboard's lm-eval tasks with alignboard's own generation function.

:class:`AlignboardLM` is an lm-eval model whose ``generate_until`` goes through
:func:`harness.generation.generate` (length-sorted batches, the generation cache,
the same chat rendering as training data). lm-eval hands it chat histories as
JSON, so rendering happens in exactly one place. :func:`evaluate` runs tasks
from ``tasks/`` through ``lm_eval.simple_evaluate`` with a judge and an aligner's
inference template passed as task metadata.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Sequence

from lm_eval.api.model import LM

from harness.assets import EMBEDDED_MODEL
from harness.errors import AlignboardError
from harness.io import git_revision
from harness.generation import GenerationSettings, generate
from harness.judges import DEFAULT_JUDGE
from harness.models import load_model
from harness.results import EvalResult

_MARK = "alignboard-chat:"


def _as_dict(m: Any) -> dict:
    return m if isinstance(m, dict) else {"role": m.role, "content": m.content}


class AlignboardLM(LM):
    """lm-eval model backed by alignboard's model loading and generation (generate_until tasks only)."""

    def __init__(self, model: str = EMBEDDED_MODEL, adapter: Optional[str] = None, batch_size: int = 8,
                 dtype: str = "float32", progress: bool = True):
        super().__init__()
        self.lm = load_model(model, adapter, dtype)
        self.batch_size, self.progress = int(batch_size), progress

    @property
    def tokenizer_name(self) -> str:
        return f"alignboard-{self.lm.identity}-{self.lm.adapter_identity}"

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        return "alignboard" if chat_template else None

    def apply_chat_template(self, chat_history: list, add_generation_prompt: bool = True) -> str:
        # Keep the messages; alignboard renders them itself at generation time.
        return _MARK + json.dumps([_as_dict(m) for m in chat_history])

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        groups: dict[str, list[int]] = {}
        for i, req in enumerate(requests):
            groups.setdefault(json.dumps(req.args[1], sort_keys=True, default=str), []).append(i)
        out: list[str] = [""] * len(requests)
        for key, idx in groups.items():
            kw = json.loads(key)
            settings = GenerationSettings(max_new_tokens=int(kw.get("max_gen_toks", 256)),
                                          temperature=float(kw.get("temperature", 0.0)) if kw.get("do_sample") else 0.0,
                                          batch_size=self.batch_size)
            prompts = []
            for i in idx:
                ctx = requests[i].args[0]
                prompts.append(json.loads(ctx[len(_MARK):]) if ctx.startswith(_MARK) else ctx)
            ids = [f"{getattr(requests[i], 'task_name', None)}/"
                   f"{(getattr(requests[i], 'doc', None) or {}).get('id', getattr(requests[i], 'doc_id', i))}"
                   for i in idx]  # names an over-long or empty task prompt by its task and doc id
            texts = generate(self.lm, prompts, settings, progress=self.progress and not disable_tqdm,
                             description="evaluating", ids=ids)
            stops = [s for s in kw.get("until") or [] if s and s != self.lm.tokenizer.eos_token]
            for i, text in zip(idx, texts):
                for s in stops:
                    text = text.split(s)[0]
                out[i] = text
        return out

    def loglikelihood(self, requests):
        raise NotImplementedError("alignboard's model runs generate_until tasks only")

    def loglikelihood_rolling(self, requests):
        raise NotImplementedError("alignboard's model runs generate_until tasks only")


def task_manager(metadata: Optional[dict] = None, include_path: Sequence[str] = ()):
    """lm-eval's TaskManager over alignboard's task folder (and ``include_path``) only (indexing all
    built-ins costs seconds). ``metadata`` reaches every task's dataset loader (judge, aligner template).
    """
    import tasks
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=[str(tasks.path()), *map(str, include_path)], include_defaults=False,
                       metadata=metadata)


def known_tasks(manager=None) -> list[str]:
    """Names of alignboard's tasks and groups (those of its task folder)."""
    from harness.evalset import task_names

    ours = set(task_names())  # and those an --include_path folder adds, named alignboard_*
    return sorted(t for t in (manager or task_manager()).all_tasks if t in ours or t.startswith("alignboard"))


BACKENDS = ("alignboard", "hf", "vllm")


def _model(backend: str, model: str, adapter: Optional[str], batch_size: int):
    """The lm-eval model object (or registry name + args) for a backend."""
    if backend == "alignboard":
        lm = AlignboardLM(model, adapter, batch_size)
        return lm, lm.lm.identity, lm.lm.adapter_identity
    from harness.models import folder_identity, resolve

    folder = str(resolve(model))
    adapter_id = folder_identity(Path(adapter)) if adapter else None
    if backend == "hf":
        import torch
        from lm_eval.models.huggingface import HFLM

        cuda = torch.cuda.is_available()  # float32 on either device, as alignboard's backend (lm-eval's "auto" would
        lm = HFLM(pretrained=folder, peft=adapter, batch_size=batch_size, dtype="float32",  # read the checkpoint's)
                  device="cuda" if cuda else "cpu")
        return lm, f"{folder_identity(Path(folder))}-float32" + ("-cuda" if cuda else ""), adapter_id
    try:
        import vllm  # noqa: F401
    except ImportError:
        raise AlignboardError("the vllm backend needs vLLM: pip install 'alignboard[gpu]' on a CUDA machine, or "
                              "vLLM's CPU build in its own environment (bash .ci/vllm-check)") from None
    import torch
    from lm_eval.models.vllm_causallms import VLLM

    # on CPU in float32, as alignboard's own backend (vLLM would pick the checkpoint's bf16)
    kwargs = dict(pretrained=folder, batch_size="auto", dtype="auto" if torch.cuda.is_available() else "float32")
    if adapter:
        import json as _json

        rank = _json.loads((Path(adapter) / "adapter_config.json").read_text())["r"]
        kwargs.update(enable_lora=True, lora_local_path=adapter, max_lora_rank=max(8, rank))
    return VLLM(**kwargs), f"{folder_identity(Path(folder))}-vllm", adapter_id


def evaluate(task_names: Sequence[str], model: str = EMBEDDED_MODEL, adapter: Optional[str] = None,
             aligner: Optional[str] = None, aligner_config: Optional[dict] = None, judge: str = DEFAULT_JUDGE,
             judge_config: Optional[dict] = None, limit: Optional[int] = None, batch_size: int = 8,
             log_samples: bool = False, backend: str = "alignboard", pools=None,
             train_prompts: Optional[list[str]] = None, hint: Optional[bool] = None,
             include_path: Sequence[str] = (), judge_checked: bool = False,
             judges: Optional[dict[str, dict]] = None) -> EvalResult:
    """lm-eval results for alignboard tasks, judged by ``judge``, framed by ``aligner``'s inference template.

    ``backend``: "alignboard" (the shared generation function and its cache), "hf" (lm-eval's
    HFLM with the adapter as ``peft``) or "vllm" (lm-eval's vLLM model with the LoRA adapter).
    ``pools`` (a PoolSpec; default pools when None) is where every task takes its prompts from;
    with ``train_prompts`` (the prompts the model was trained on) the tasks' prompts are checked
    against them before anything is generated, and any overlap is refused. ``hint`` turns the
    shared harmlessness hint on or off (None: the aligner's default). ``include_path``: more task
    folders (a task there is a YAML file whose metadata declares its source and meaning).
    ``judge_checked``: the caller already ran the judge's check (a run checks it once).
    A task that declares a protocol (HarmBench, StrongREJECT) is scored by its protocol judge, or by the
    judge ``judges`` names for the protocol ({protocol: {"judge": NAME, "config": {...}}}); every judge is
    checked before anything is generated. Per-sample records are kept with ``log_samples``.
    """
    if backend not in BACKENDS:
        raise AlignboardError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
    import lm_eval

    from harness.judges import get_judge

    from harness.data.pools import PoolSpec
    from harness.evalset import check_leaks

    pools = pools or PoolSpec()
    metadata = {"judge": judge, "judge_config": judge_config or {}, "pools": pools.to_meta(), "judge_checked": True,
                "judges": judges or {}}
    if aligner:
        metadata.update(aligner=aligner, aligner_config=aligner_config or {})
    if hint is not None:
        metadata["hint"] = hint
    manager = task_manager(metadata, include_path)
    clipped = _clip_protocol_answers(manager, judges or {})
    known = known_tasks(manager)
    unknown = [t for t in task_names if t not in known]
    if unknown:
        raise AlignboardError(f"unknown task {unknown[0]!r}; known: {', '.join(known)}")
    scorers = task_judges(task_names, metadata)
    run_judge = (judge, judge_config or {})
    built = {json.dumps(nc, sort_keys=True): get_judge(nc[0], **nc[1]) for nc in [run_judge, *scorers.values()]}

    def scorer(nc: tuple[str, dict]):
        return built[json.dumps(nc, sort_keys=True)]  # one judge object per (name, config), built once

    for nc in {json.dumps(nc, sort_keys=True): nc for nc in scorers.values()}.values():
        if not (judge_checked and nc == run_judge):
            scorer(nc).check()  # fail before loading or generating anything
    overlap = None if train_prompts is None else sum(check_leaks(task_names, pools, train_prompts).values())
    lm, model_identity, adapter_identity = _model(backend, model, adapter, batch_size)
    import lm_eval.evaluator

    from harness.evalset import task_metadata, task_names as ours

    lm_eval.evaluator.get_git_commit_hash = git_revision  # lm-eval's own probe prints git's "fatal: ..."
    two_turn = [t for t in scorers if t in set(ours()) and task_metadata(t).get("turns") == 2]
    meta = {"model": model, "model_identity": model_identity, "adapter_identity": adapter_identity, "judge": judge,
            "aligner": aligner, "backend": backend, "eval_train_overlap": overlap}
    res = lm_eval.simple_evaluate(model=lm, tasks=list(task_names), task_manager=manager,
                                  apply_chat_template=True, limit=limit, log_samples=log_samples or bool(two_turn))
    result = EvalResult.from_lm_eval(res, meta)
    for t in two_turn:  # the second turns, each after the model's own first answer
        first = {s.id: s.response for s in result.tasks[t].samples}
        second = task_manager({**metadata, "first_answers": first}, include_path)
        _clip_protocol_answers(second, judges or {})
        later = EvalResult.from_lm_eval(lm_eval.simple_evaluate(model=lm, tasks=[t], task_manager=second,
                                                                apply_chat_template=True, log_samples=True), meta)
        result.tasks[t] = result.tasks[t].with_later_turns(later.tasks[t])
    result.judge_identity = scorer(run_judge).identity()  # the run's, whoever scored the last task
    for name, task in result.tasks.items():
        j = scorer(scorers.get(name, run_judge))
        task.judge_identity = j.identity()
        task.protocol = j.citation() if hasattr(j, "citation") else None
        if name in clipped:  # the protocol's own length, beside the one used
            task.protocol = {**(task.protocol or {}), "max_new_tokens": task.generation.get("max_gen_toks"),
                             "protocol_max_new_tokens": clipped[name]}
    return result


def _clip_protocol_answers(manager, judges: dict[str, dict]) -> dict[str, int]:
    """Make the tasks of every protocol whose ``judges`` entry sets ``max_new_tokens`` end their answers there (as
    lm-eval applies ``gen_kwargs``, per task); returns {task: the protocol's own length} for those loaded."""
    clips = {p: j["max_new_tokens"] for p, j in judges.items() if j.get("max_new_tokens")}
    if not clips:
        return {}
    from harness.evalset import task_metadata, task_names

    ours, load, protocol_length = set(task_names()), manager.load, {}

    def clipped_load(tasks):
        loaded = load(tasks)
        for name, task in loaded["tasks"].items():
            n = clips.get(task_metadata(name).get("protocol")) if name in ours else None
            if n:
                protocol_length[name] = task.get_config("generation_kwargs").get("max_gen_toks")
                task.set_config(key="generation_kwargs", value={"max_gen_toks": n}, update=True)
        return loaded

    manager.load = clipped_load
    return protocol_length


def task_judges(task_names: Sequence[str], metadata: dict) -> dict[str, tuple[str, dict]]:
    """(judge name, config) of every leaf task, as its dataset loader will resolve it."""
    from harness.evalset import judge_for, leaf_tasks, task_metadata, task_names as ours

    known = set(ours())  # a task from an --include_path folder is judged by the run's judge
    return {t: judge_for({**(task_metadata(t) if t in known else {}), **metadata})
            for n in task_names for t in (leaf_tasks([n]) if n in known else [n])}
