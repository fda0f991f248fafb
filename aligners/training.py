"""Shared TRL training stages with one LoRA shape and one optimiser setting for every aligner.

Each function trains (or continues training) a LoRA adapter on the base model and
returns the trained PEFT model with a :class:`TrainResult`; :func:`save_adapter`
writes it atomically. Everything is seeded; on CPU bf16 stays off (with TRL's
default bf16 LoRA learns much less) and gradient checkpointing is off (small models).
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from typing import Any, Callable

from aligners.api import ADAPTER, Budget, Context, StageCost, TrainResult
from harness.errors import AlignboardError
from harness.io import atomic_path
from harness.models import resolve


def lora_config(budget: Budget, task_type: str = "CAUSAL_LM"):
    """The one LoRA shape: rank/alpha/dropout from the budget, all linear layers."""
    from peft import LoraConfig

    return LoraConfig(r=budget.lora_r, lora_alpha=budget.lora_alpha, lora_dropout=budget.lora_dropout,
                      target_modules="all-linear", task_type=task_type)


def _steps(ctx: Context, stage: str) -> int:
    """This stage's share of the budget (what ``run_aligner`` split over the aligner's declared stages)."""
    if not ctx.steps:  # called outside run_aligner: the whole budget
        return ctx.budget.max_steps
    if stage not in ctx.steps:
        raise AlignboardError(f"training stage {stage!r} is not among the aligner's declared stages "
                              f"({', '.join(ctx.steps)}); list it in stages() so the budget is split over it")
    return ctx.steps[stage]


def _common(ctx: Context, out: str, stage: str) -> dict[str, Any]:
    import torch

    from harness.processes import world_size

    b, ranks = ctx.budget, world_size()
    if b.batch_size % ranks:
        raise AlignboardError(f"batch_size {b.batch_size} does not split over {ranks} training processes; make it a "
                              f"multiple of {ranks}")
    on_gpu = torch.cuda.is_available()
    # the budget's batch is the global batch: each process takes its share, so a step sees the same examples
    return dict(output_dir=out, max_steps=_steps(ctx, stage), per_device_train_batch_size=b.batch_size // ranks,
                learning_rate=b.learning_rate, lr_scheduler_type="constant", warmup_steps=0, logging_steps=1,
                save_strategy="no", report_to="none", seed=ctx.seed, data_seed=ctx.seed, bf16=on_gpu,
                use_cpu=not on_gpu, gradient_checkpointing=False, disable_tqdm=True,
                include_num_input_tokens_seen="non_padding", remove_unused_columns=True)


def _train(trainer, ctx: Context, stage: str, examples: int) -> TrainResult:
    """Train and return what it cost, with one rich progress bar per stage on the terminal; the loss lines go to the
    log (not HF's printouts). At each step of ``ctx.checkpoints`` the adapter is saved there too, with what the
    training had cost by then (:func:`aligners.api.run_aligner` writes those checkpoints' artifacts)."""
    import time

    import torch
    from transformers.trainer_callback import PrinterCallback, ProgressCallback, TrainerCallback

    from harness.generation import progress_bar

    class StageProgress(TrainerCallback):
        def on_train_begin(self, args, state, control, **kw):
            self.bar = progress_bar(ctx.progress, f"training {stage}", state.max_steps)
            self.advance = self.bar.__enter__()

        def on_step_end(self, args, state, control, **kw):
            self.advance(1)

        def on_log(self, args, state, control, logs=None, **kw):
            logging.getLogger("alignboard.training").info("%s step %d: %s", stage, state.global_step, logs)
            # the step's loss is logged (logging_steps=1) after the step: its checkpoint is complete here
            if "loss" in (logs or {}) and state.global_step in ctx.checkpoints:
                save_adapter(trainer.model, ctx.checkpoints[state.global_step] / ADAPTER)
                ctx.reached[state.global_step] = (_result(trainer, examples, stage, started), time.time())

        def on_train_end(self, args, state, control, **kw):
            self.bar.__exit__(None, None, None)

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(StageProgress())
    for tracker in _trackers(ctx, stage):
        trainer.add_callback(tracker)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    started = time.time()
    trainer.train()
    return _result(trainer, examples, stage, started)


def _trackers(ctx: Context, stage: str) -> list:
    """Callbacks of ``ctx.report_to`` (transformers' integrations); tensorboard writes to ``log_dir/stage``
    (the others take their settings from their own environment variables, e.g. WANDB_PROJECT)."""
    from transformers.integrations import TensorBoardCallback, get_reporting_integration_callbacks

    if not ctx.report_to:
        return []
    out = []
    try:
        for cls in get_reporting_integration_callbacks(list(ctx.report_to)):
            if cls is TensorBoardCallback:
                from torch.utils.tensorboard import SummaryWriter

                folder = (ctx.log_dir or ctx.out_dir / "tensorboard") / f"{ctx.out_dir.name}-{stage}"
                out.append(cls(tb_writer=SummaryWriter(log_dir=str(folder))))
            else:
                out.append(cls())
    except (ValueError, RuntimeError, ImportError) as e:  # an unknown tracker, or one that is not installed
        raise AlignboardError(f"report_to {list(ctx.report_to)}: {str(e).splitlines()[0]} (install it, or set "
                              "[logging] report_to = [] in the spec)") from None
    return out


def load_policy(ctx: Context):
    """The base model as a fresh, trainable fp32 causal LM (never pickles)."""
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(resolve(ctx.base_model), dtype=torch.float32, use_safetensors=True)


def _result(trainer, examples: int, stage: str, started: float) -> TrainResult:
    import time

    import torch

    s = trainer.state
    losses = [h["loss"] for h in s.log_history if "loss" in h]
    cost = StageCost(examples=examples, tokens_trained=int(s.num_input_tokens_seen or 0),
                     optimizer_steps=int(s.global_step), train_seconds=round(time.time() - started, 3),
                     peak_gpu_bytes=int(torch.cuda.max_memory_allocated()) if torch.cuda.is_available() else 0)
    return TrainResult(**cost.model_dump(), stages={stage: cost},
                       metrics={f"{stage}_final_loss": losses[-1]} if losses else {})


def _peft_kwargs(model, ctx: Context, task_type: str = "CAUSAL_LM") -> dict:
    from peft import PeftModel

    return {} if isinstance(model, PeftModel) else {"peft_config": lora_config(ctx.budget, task_type)}


def sft(ctx: Context, rows: list[dict], model=None, stage: str = "sft"):
    """Supervised fine-tuning, loss on completions only.

    ``rows`` are conversational ``{"prompt", "completion"}`` dicts, or pre-tokenised
    ``{"input_ids", "completion_mask"}`` dicts when an aligner masks finer (CoH).
    """
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    model = model if model is not None else load_policy(ctx)
    tok = AutoTokenizer.from_pretrained(resolve(ctx.base_model))
    with tempfile.TemporaryDirectory(prefix="alignboard-sft-") as tmp:
        args = SFTConfig(**_common(ctx, tmp, stage), max_length=ctx.budget.max_length, completion_only_loss=True,
                         packing=False)
        trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok,
                             **_peft_kwargs(model, ctx))
        result = _train(trainer, ctx, stage, len(rows))
    return trainer.model, result


def dpo(ctx: Context, rows: list[dict], model=None, beta: float = 0.1, stage: str = "dpo"):
    """DPO on conversational ``{"prompt", "chosen", "rejected"}`` rows.

    The reference is the starting policy: the base for a fresh adapter, else a frozen copy of ``model``'s adapter.
    """
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import DPOConfig, DPOTrainer

    model = model if model is not None else load_policy(ctx)
    tok = AutoTokenizer.from_pretrained(resolve(ctx.base_model))
    with tempfile.TemporaryDirectory(prefix="alignboard-dpo-") as tmp:
        args = DPOConfig(**_common(ctx, tmp, stage), beta=beta, max_length=ctx.budget.max_length)
        trainer = DPOTrainer(model=model, ref_model=None, args=args, train_dataset=Dataset.from_list(rows),
                             processing_class=tok, **_peft_kwargs(model, ctx))
        result = _train(trainer, ctx, stage, len(rows))
    return trainer.model, result


def reward_model(ctx: Context, rows: list[dict], stage: str = "reward"):
    """A sequence-classification reward model (LoRA) trained with TRL's RewardTrainer on preference rows."""
    import torch
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from trl import RewardConfig, RewardTrainer

    folder = resolve(ctx.base_model)
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=1, dtype=torch.float32,
                                                               use_safetensors=True)
    model.config.pad_token_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    with tempfile.TemporaryDirectory(prefix="alignboard-rm-") as tmp:
        args = RewardConfig(**_common(ctx, tmp, stage), max_length=ctx.budget.max_length)
        trainer = RewardTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok,
                                peft_config=lora_config(ctx.budget, "SEQ_CLS"))
        result = _train(trainer, ctx, stage, len(rows))
    return trainer.model, tok, result


def reward_scorer(model, tok, max_length: int) -> Callable[[list[list[dict]]], list[float]]:
    """A function from conversations (lists of messages) to scalar rewards."""
    import torch

    model.eval()
    tok.padding_side = "left"  # score is read at the last position

    def score(conversations: list[list[dict]]) -> list[float]:
        texts = [tok.apply_chat_template(c, tokenize=False) for c in conversations]
        out = []
        for i in range(0, len(texts), 8):
            enc = tok(texts[i : i + 8], return_tensors="pt", padding=True, truncation=True, max_length=max_length,
                      add_special_tokens=False).to(model.device)
            with torch.inference_mode():
                out += model(**enc).logits[:, 0].float().tolist()
        return out

    return score


def rloo(ctx: Context, prompts: list[dict], reward_fn: Callable, model=None, beta: float = 0.05,
         num_generations: int = 4, max_completion_length: int = 48, stage: str = "rl"):
    """Online RL (TRL RLOO) against ``reward_fn`` with a KL penalty ``beta`` to the starting policy.

    Continuing ``model``'s adapter (e.g. after SFT), TRL keeps a frozen copy of it as the KL reference.
    """
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import RLOOConfig, RLOOTrainer

    model = model if model is not None else load_policy(ctx)
    tok = AutoTokenizer.from_pretrained(resolve(ctx.base_model))
    tok.padding_side = "left"
    with tempfile.TemporaryDirectory(prefix="alignboard-rloo-") as tmp:
        # One generation batch must hold whole groups of completions and whole optimizer batches.
        world = int(os.environ.get("WORLD_SIZE", "1"))
        gen_batch = math.lcm(ctx.budget.batch_size * world, num_generations)
        args = RLOOConfig(**_common(ctx, tmp, stage), beta=beta, num_generations=num_generations,
                          generation_batch_size=gen_batch, max_completion_length=max_completion_length,
                          temperature=1.0)
        trainer = RLOOTrainer(model=model, reward_funcs=reward_fn, args=args, train_dataset=Dataset.from_list(prompts),
                              processing_class=tok, **_peft_kwargs(model, ctx))
        result = _train(trainer, ctx, stage, len(prompts))
    return trainer.model, result


def save_adapter(model, out) -> None:
    """Write the LoRA adapter (safetensors) to ``out`` atomically (rank 0 only, in a multi-process run)."""
    from peft import PeftModel

    from harness.processes import is_main

    if not is_main():
        return

    with atomic_path(out) as tmp:
        # only the trained adapter: TRL's frozen "ref" copy (a reference policy) is not part of the result
        extra = {"selected_adapters": ["default"]} if isinstance(model, PeftModel) else {}
        model.save_pretrained(tmp, safe_serialization=True, **extra)
