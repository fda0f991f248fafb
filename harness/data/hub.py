"""Hub sources, for users with internet: loaders plus pure row converters.

Each source is split in two: ``_rows_*`` turns rows in the dataset's real schema
into records (tested offline on fixture files with the same schema), and the
registered loader fetches those rows with ``datasets`` / ``huggingface_hub``.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Iterable

from harness.data.records import Record
from harness.data.sources import source
from harness.errors import AlignboardError


def _hub_rows(repo: str, split: str, **kwargs) -> list[dict]:
    """Rows of a hub dataset, or a one-line error when the hub cannot be reached."""
    try:
        from datasets import load_dataset

        return list(load_dataset(repo, split=split, **kwargs))
    except Exception as e:  # datasets raises many kinds; all mean "could not get it"
        raise AlignboardError(f"cannot load hub dataset {repo} ({type(e).__name__}); "
                              "it needs access to huggingface.co (unset HF_HUB_OFFLINE / HF_DATASETS_OFFLINE)") from None


def rows_pku_saferlhf(rows: Iterable[dict], split: str) -> list[Record]:
    """PKU-SafeRLHF: prompt, response_0/1, is_response_*_safe, safer_response_id -> y+ / y-.

    Every prompt comes from red-teaming, so every row is a harmful request (H, never B).
    y+ is the safer answer when it is safe; y- the other answer when it is unsafe.
    """
    out = []
    for i, r in enumerate(rows):
        answers = [(r["response_0"], r["is_response_0_safe"]), (r["response_1"], r["is_response_1_safe"])]
        safer = int(r.get("safer_response_id", 0 if answers[0][1] else 1))
        (pos, pos_safe), (neg, neg_safe) = answers[safer], answers[1 - safer]
        cats = r.get("response_0_harm_category") or {}
        category = next((k for k, v in cats.items() if v), "safe") if isinstance(cats, dict) else "pku"
        out.append(Record(f"pku-{split}-{i:06d}", r["prompt"].strip(), category, "pku_saferlhf", harmful=True,
                          harmless_response=pos if pos_safe else None,
                          harmful_response=neg if not neg_safe else None))
    return out


_TURN = re.compile(r"\n\n(Human|Assistant): ")


def _turns(transcript: str) -> list[tuple[str, str]]:
    parts = _TURN.split("\n\n" + transcript.strip())
    return [(parts[k], parts[k + 1].strip()) for k in range(1, len(parts) - 1, 2)]


def rows_hh_harmless(rows: Iterable[dict], split: str) -> list[Record]:
    """Anthropic HH-RLHF harmless-base: chosen/rejected transcripts -> last human turn, y+, y-."""
    out = []
    for i, r in enumerate(rows):
        chosen, rejected = _turns(r["chosen"]), _turns(r["rejected"])
        humans = [t for role, t in chosen if role == "Human"]
        if not humans or chosen[-1][0] != "Assistant" or rejected[-1][0] != "Assistant":
            continue
        out.append(Record(f"hh-harmless-{split}-{i:06d}", humans[-1], "hh-harmless", "hh_harmless", True,
                          harmless_response=chosen[-1][1], harmful_response=rejected[-1][1]))
    return out


def rows_hh_red_team(rows: Iterable[dict], split: str) -> list[Record]:
    """HH-RLHF red-team attempts: first human turn, first reply, red-teamer's success rating 0-4."""
    out = []
    for i, r in enumerate(rows):
        turns = _turns(r["transcript"])
        if len(turns) < 2 or turns[0][0] != "Human":
            continue
        out.append(Record(f"hh-redteam-{i:06d}", turns[0][1], r.get("task_description") or "red-team",
                          "hh_red_team", True, response=turns[1][1], label=float(r["rating"]),
                          label_name="attack_success_rating"))
    return out


def rows_alpaca(rows: Iterable[dict], split: str) -> list[Record]:
    """Alpaca 52k: instruction (+ input) -> reference output."""
    return [Record(f"alpaca-{i:05d}", (r["instruction"] + ("\n\n" + r["input"] if r.get("input") else "")).strip(),
                   "alpaca", "alpaca", False, reference=r["output"].strip()) for i, r in enumerate(rows)]


def rows_alpaca_eval(rows: Iterable[dict], split: str) -> list[Record]:
    """AlpacaEval: instruction, reference output, originating dataset as category."""
    return [Record(f"alpaca-eval-{i:03d}", r["instruction"].strip(), r.get("dataset", "alpaca_eval"), "alpaca_eval",
                   False, reference=r["output"].strip()) for i, r in enumerate(rows)]


def rows_xstest(rows: Iterable[dict], split: str) -> list[Record]:
    """XSTest: prompt, type, label safe/unsafe (safe ones probe over-refusal)."""
    return [Record(f"xstest-{i:03d}", r["prompt"].strip(), r["type"], "xstest", r["label"] == "unsafe")
            for i, r in enumerate(rows)]


@source("pku_saferlhf", description="PKU-SafeRLHF prompts with safe/unsafe responses", licence="CC-BY-NC-4.0",
        origin="hub:PKU-Alignment/PKU-SafeRLHF", offline=False)
def pku_saferlhf(split: str = "train") -> list[Record]:
    return rows_pku_saferlhf(_hub_rows("PKU-Alignment/PKU-SafeRLHF", split), split)


@source("hh_harmless", description="Anthropic HH-RLHF harmless-base chosen/rejected", licence="MIT",
        origin="hub:Anthropic/hh-rlhf (harmless-base)", offline=False)
def hh_harmless(split: str = "train") -> list[Record]:
    return rows_hh_harmless(_hub_rows("Anthropic/hh-rlhf", split, data_dir="harmless-base"), split)


@source("hh_red_team", description="Anthropic HH-RLHF red-team attempts with success ratings", licence="MIT",
        origin="hub:Anthropic/hh-rlhf (red-team-attempts)", offline=False)
def hh_red_team(split: str = "train") -> list[Record]:
    return rows_hh_red_team(_hub_rows("Anthropic/hh-rlhf", split, data_dir="red-team-attempts"), split)


@source("alpaca", description="Stanford Alpaca 52k instructions with answers", licence="CC-BY-NC-4.0",
        origin="hub:tatsu-lab/alpaca", offline=False)
def alpaca(split: str = "train") -> list[Record]:
    return rows_alpaca(_hub_rows("tatsu-lab/alpaca", split), split)


def _alpaca_eval_file(name: str) -> list[dict]:
    """One JSON file of tatsu-lab/alpaca_eval (its loading script needs remote code; the files do not)."""
    try:
        from huggingface_hub import hf_hub_download

        path = hf_hub_download("tatsu-lab/alpaca_eval", name, repo_type="dataset")
    except Exception as e:
        raise AlignboardError(f"cannot load hub dataset tatsu-lab/alpaca_eval ({type(e).__name__}); "
                              "it needs access to huggingface.co") from None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@source("alpaca_eval", description="AlpacaEval 805 instructions with reference outputs", licence="CC-BY-NC-4.0",
        origin="hub:tatsu-lab/alpaca_eval", offline=False)
def alpaca_eval(split: str = "eval") -> list[Record]:
    return rows_alpaca_eval(_alpaca_eval_file("alpaca_eval.json"), split)


@source("alpaca_eval_2", description="AlpacaEval 2: the 805 instructions with its baseline, GPT-4 Turbo's outputs",
        licence="CC-BY-NC-4.0", origin="hub:tatsu-lab/alpaca_eval", offline=False)
def alpaca_eval_2(split: str = "eval") -> list[Record]:
    rows = rows_alpaca_eval(_alpaca_eval_file("alpaca_eval_gpt4_baseline.json"), split)
    return [replace(r, source="alpaca_eval_2") for r in rows]  # ids keep the instruction's place (the GLM's index)


@source("xstest", description="XSTest safe prompts that sound unsafe, plus unsafe contrasts", licence="CC-BY-4.0",
        origin="hub:walledai/XSTest", offline=False)
def xstest(split: str = "test") -> list[Record]:
    return rows_xstest(_hub_rows("walledai/XSTest", split), split)
