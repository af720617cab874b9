"""Write a presidio-evaluator data set with its own generator (PresidioSentenceFaker).

    pip install presidio-evaluator   # optional: only this script needs it
    python -m redact.evaluation.presidio_data --n 200 --seed 42 --out tests/data/eval/presidio_evaluator_200.json

The output is presidio-evaluator's JSON (a list of samples with `full_text` and `spans` of
`entity_type`, `entity_value`, `start_position`, `end_position`), which `redact eval` reads.
The committed fixture was made with presidio-evaluator 0.3.2, seed 42, lower-case ratio 0.05
(the generator's default templates and Faker providers).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from redact.errors import UsageError


def generate(n: int, seed: int, lower_case_ratio: float = 0.05) -> list[dict]:
    try:
        from presidio_evaluator.data_generator import PresidioSentenceFaker
    except ImportError:
        raise UsageError(
            "presidio-evaluator is not installed: pip install presidio-evaluator"
        ) from None
    faker = PresidioSentenceFaker(
        locale="en_US", lower_case_ratio=lower_case_ratio, random_seed=seed
    )
    samples = faker.generate_new_fake_sentences(num_samples=n)
    out = []
    for s in samples:
        out.append(
            {
                "full_text": s.full_text,
                "masked": s.masked,
                "spans": [
                    {
                        "entity_type": sp.entity_type,
                        "entity_value": sp.entity_value,
                        "start_position": sp.start_position,
                        "end_position": sp.end_position,
                    }
                    for sp in s.spans
                ],
                "template_id": s.template_id,
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m redact.evaluation.presidio_data")
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    data = generate(args.n, args.seed)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(data)} samples to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
