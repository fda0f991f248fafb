import pytest

from conftest import make_tiny_lm
from harness.generation import GenerationCache, GenerationSettings, cache_key, generate, render

PROMPTS = ["the a of", "what is the word for water", "how", "you can find them all in the day",
           "I was at the side of the water", "make a long thing", "call"]


class _Counting:
    """Wraps a model's generate to count calls and rows."""

    def __init__(self, lm):
        self.calls, self.rows, self._gen = 0, 0, lm.model.generate
        lm.model.generate = self

    def __call__(self, **kw):
        self.calls += 1
        self.rows += kw["input_ids"].shape[0]
        out = self._gen(**kw)
        self.new_tokens = out.shape[1] - kw["input_ids"].shape[1]
        return out


def test_batched_equals_unbatched_greedy(tiny_lm):
    s = GenerationSettings(max_new_tokens=12, batch_size=4)
    batched = generate(tiny_lm, PROMPTS, s, cache=False, progress=False)
    single = [generate(tiny_lm, [p], GenerationSettings(max_new_tokens=12, batch_size=1), cache=False,
                       progress=False)[0] for p in PROMPTS]
    assert batched == single
    assert len(set(batched)) > 1  # the random model does say different things


def test_results_come_back_in_input_order(tiny_lm):
    s = GenerationSettings(max_new_tokens=8, batch_size=3)
    fwd = generate(tiny_lm, PROMPTS, s, cache=False, progress=False)
    rev = generate(tiny_lm, PROMPTS[::-1], s, cache=False, progress=False)
    assert fwd == rev[::-1]


def test_cache_hit_makes_no_model_call(tiny_lm, tmp_path):
    cache = GenerationCache(tmp_path / "gen.sqlite")
    counter = _Counting(tiny_lm)
    s = GenerationSettings(max_new_tokens=6, batch_size=4)
    first = generate(tiny_lm, PROMPTS, s, cache=cache, progress=False)
    assert counter.rows == len(PROMPTS)
    again = generate(tiny_lm, PROMPTS, s, cache=GenerationCache(tmp_path / "gen.sqlite"), progress=False)
    assert again == first and counter.rows == len(PROMPTS)
    generate(tiny_lm, PROMPTS + ["one new prompt"], s, cache=cache, progress=False)
    assert counter.rows == len(PROMPTS) + 1  # only the new prompt was generated
    # duplicates in one call are generated once
    generate(tiny_lm, ["the water", "the water"], s, cache=cache, progress=False)
    assert counter.rows == len(PROMPTS) + 2


def test_cache_key_covers_model_adapter_prompt_and_settings(tiny_lm):
    s = GenerationSettings()
    k = cache_key(tiny_lm, "hi", s)
    assert k != cache_key(tiny_lm, "ho", s)
    assert k != cache_key(tiny_lm, "hi", GenerationSettings(max_new_tokens=5))
    assert k == cache_key(tiny_lm, "hi", GenerationSettings(batch_size=32))  # greedy: batch size is irrelevant
    other = make_tiny_lm(seed=1)
    assert k != cache_key(other, "hi", s)
    tiny_lm.adapter_identity = "abc"
    assert k != cache_key(tiny_lm, "hi", s)


def test_a_loaded_model_sits_on_its_device_and_off_the_cpu_its_identity_says_so(tiny_lm, tmp_path):
    """A GPU's greedy answers may differ from a CPU's: the device joins the identity that keys the generation cache
    (the CPU's identity stays what it was, so existing caches stay valid). "meta" stands in for a GPU here."""
    from harness.models import load_model

    tiny_lm.model.save_pretrained(tmp_path / "m")
    tiny_lm.tokenizer.save_pretrained(tmp_path / "m")
    cpu, other = load_model(str(tmp_path / "m")), load_model(str(tmp_path / "m"), device="meta")
    assert cpu.model.device.type == "cpu" and other.model.device.type == "meta"
    assert other.identity == cpu.identity + "-meta" and cpu.identity.endswith("-float32")
    s = GenerationSettings()
    assert cache_key(cpu, "hi", s) != cache_key(other, "hi", s)


def test_seeded_sampling_is_reproducible(tiny_lm):
    s = GenerationSettings(max_new_tokens=10, temperature=1.0, seed=3)
    a = generate(tiny_lm, PROMPTS, s, cache=False, progress=False)
    b = generate(tiny_lm, PROMPTS, s, cache=False, progress=False)
    c = generate(tiny_lm, PROMPTS, GenerationSettings(max_new_tokens=10, temperature=1.0, seed=4), cache=False,
                 progress=False)
    assert a == b and a != c


def test_generation_stops_at_eos(tiny_lm):
    eos = tiny_lm.tokenizer.eos_token_id
    # make every step predict eos: the answer must be empty, not max_new_tokens of padding
    import torch

    counter = _Counting(tiny_lm)
    with torch.no_grad():
        tiny_lm.model.lm_head.weight.zero_()
        tiny_lm.model.lm_head.weight[eos] = 1.0
        tiny_lm.model.model.norm.weight.fill_(1.0)
    out = generate(tiny_lm, ["the a of"], GenerationSettings(max_new_tokens=20), cache=False, progress=False)
    assert out == [""] and counter.new_tokens == 1  # stopped at the first eos, not after 20 tokens


def test_render_uses_chat_template_and_system_prompt(tiny_lm):
    text = render(tiny_lm.tokenizer, "hello", system_prompt="be kind")
    assert text.startswith("<|im_start|>system\nbe kind<|im_end|>") and text.endswith("<|im_start|>assistant\n")


@pytest.mark.integration
def test_embedded_model_answers_sensibly(tmp_path):
    from harness.models import load_model

    lm = load_model()
    out = generate(lm, ["What is the capital of France?"], GenerationSettings(max_new_tokens=24),
                   cache=GenerationCache(tmp_path / "g.sqlite"), progress=False)
    assert "Paris" in out[0]


def test_an_outlier_long_prompt_gets_its_own_batch():
    from harness.generation import batches

    lengths = {"long": 400, **{f"p{i}": 60 - i for i in range(20)}}
    order = sorted(lengths, key=lambda k: -lengths[k])
    got = batches(order, lengths, size=32, max_new_tokens=64)
    assert got[0] == ["long"]  # padding 19 prompts to 400 tokens costs more than one more batch
    assert [k for b in got for k in b] == order and len(got) == 2
    # without the outlier the prompts share one batch, and no batch exceeds the size
    even = batches(order[1:], lengths, size=32, max_new_tokens=64)
    assert even == [order[1:]]
    assert all(len(b) <= 6 for b in batches(order, lengths, size=6, max_new_tokens=64))


def test_length_aware_batches_change_no_greedy_answer(tiny_lm):
    prompts = PROMPTS + ["word " * 120]  # one prompt far longer than the rest
    s = GenerationSettings(max_new_tokens=12, batch_size=8)
    counter = _Counting(tiny_lm)
    batched = generate(tiny_lm, prompts, s, cache=False, progress=False)
    assert counter.calls == 2  # the long prompt was generated on its own
    single = [generate(tiny_lm, [p], GenerationSettings(max_new_tokens=12, batch_size=1), cache=False,
                       progress=False)[0] for p in prompts]
    assert batched == single
