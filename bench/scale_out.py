"""Wall time of one spec run by the local executor and by the Ray executor (a benchmark, not a test).

    python bench/scale_out.py [SPEC]     # default: the smoke preset (base, sft, dpo; 2 steps; 2 prompts per task)

Each executor runs the spec cold, into its own fresh run folder and a private ALIGNBOARD_HOME
(empty generation and judgment caches; the real home's assets and model are read through
links); the script prints both wall times, their ratio, and whether the two leaderboard.json
files are byte-identical. On 2 CPU cores expect no speed-up from Ray: its local cluster adds
start-up time, and stages that run side by side share the same two cores.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path



def cold_run(spec: str, executor: str, work: Path) -> tuple[float, str]:
    real = Path(os.environ.get("ALIGNBOARD_HOME") or Path.home() / ".cache" / "alignboard")
    home = work / f"home-{executor}"
    home.mkdir()
    for part in ("assets", "models"):
        if (real / part).is_dir():
            (home / part).symlink_to(real / part, target_is_directory=True)
    env = {**os.environ, "ALIGNBOARD_HOME": str(home), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    root = work / f"run-{executor}"
    start = time.time()
    p = subprocess.run([sys.executable, "-m", "harness.cli", "run", spec, "--root", str(root), "--executor", executor],
                       capture_output=True, text=True, env=env)
    if p.returncode:
        sys.exit(f"{executor} run failed:\n{p.stderr[-2000:]}")
    return time.time() - start, (root / "leaderboard" / "leaderboard.json").read_text()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-scale-out-"))
    spec = sys.argv[1] if len(sys.argv) > 1 else "smoke"
    t_local, board_local = cold_run(spec, "local", work)
    t_ray, board_ray = cold_run(spec, "ray", work)
    print(f"spec {spec}, {os.cpu_count()} CPU cores")
    print(f"local executor: {t_local:.1f} s")
    print(f"ray executor:   {t_ray:.1f} s (local cluster on this machine, one CPU per stage)")
    print(f"ratio ray / local: {t_ray / t_local:.2f}")
    print(f"leaderboard.json identical: {board_local == board_ray}")


if __name__ == "__main__":
    main()
