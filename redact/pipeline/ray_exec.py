"""Run shard plans on Ray: a Ray Data pipeline whose map stage is a pool of detector actors.

Each actor builds one `ShardProcessor` (so the NLP models load once per worker) and processes
whole shards; results stream back to the driver as shards finish. A shard that fails in a
worker is retried by Ray; its files are written atomically and deterministically, so a retry
cannot duplicate records.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

from redact.io.reader import ShardPlan

log = logging.getLogger(__name__)


class ShardWorker:
    """Ray Data callable class: one per actor, loads the detector in its constructor."""

    def __init__(self, policy_json: str, key: bytes, run_dir: str):
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        from policies.model import parse_policy
        from redact.pipeline.shard import ShardProcessor

        self.processor = ShardProcessor(parse_policy(json.loads(policy_json)), key, run_dir)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        results = []
        for plan_json in batch["plan"]:
            plan = ShardPlan(**json.loads(plan_json))
            marker = self.processor.process(plan)
            marker["worker"] = {"pid": os.getpid(), "node": _node_id()}
            results.append(json.dumps(marker))
        return {"marker": results}


def _node_id() -> str:
    import ray

    try:
        return ray.get_runtime_context().get_node_id()
    except Exception:  # noqa: BLE001
        return "unknown"


def init_ray(address: str | None, workers: int | None) -> int:
    """Attach to a cluster (--address or RAY_ADDRESS) or start an embedded one; return pool size."""
    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not ray.is_initialized():
        if address or os.environ.get("RAY_ADDRESS"):
            ray.init(address=address or None, logging_level=logging.WARNING, log_to_driver=True)
        else:
            ray.init(
                num_cpus=max(workers or os.cpu_count() or 1, 1),
                include_dashboard=False,
                # Loopback only: an embedded Ray never probes the network for its own address.
                _node_ip_address="127.0.0.1",
                logging_level=logging.ERROR,
                log_to_driver=True,
            )
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return max(1, workers or cpus)


def run_shards(plans: list[ShardPlan], policy_json: str, key: bytes, run_dir: str, workers: int) -> Iterator[dict[str, Any]]:
    """Yield each shard's completion marker as it finishes (in completion order)."""
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = True
    ctx.execution_options.preserve_order = False
    items = [{"plan": json.dumps(p.to_dict())} for p in plans]
    ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
        ShardWorker,
        fn_constructor_kwargs={"policy_json": policy_json, "key": key, "run_dir": run_dir},
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=min(workers, len(plans))),
        num_cpus=1,
    )
    for row in ds.iter_rows():
        yield json.loads(row["marker"])
