"""Run shard plans on Ray: a Ray Data pipeline whose map stage is a pool of detector actors.

Each actor builds one `ShardProcessor` (so the NLP models load once per worker) and processes
whole shards; results stream back to the driver as shards finish. When a worker process dies
(killed, out of memory, node lost) Ray restarts the actor and retries its shard (Ray Data's
actor pool defaults: unlimited restarts and retries); a shard's files are written
whole-or-not-at-all and deterministically, and its marker last, so a retry cannot duplicate or
lose records. An exception inside a shard is not retried: it fails the run, and `--resume`
continues from the shards that finished.

Attaching: `--address`, else `RAY_ADDRESS` (set by Ray for `ray job submit` entrypoints);
without either an embedded single-machine Ray is started, never an unrelated local cluster.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterator
from typing import Any

from redact.errors import UsageError
from redact.io.reader import ShardPlan

log = logging.getLogger(__name__)

_EMBEDDED = False


def _embedded() -> bool:
    return _EMBEDDED


class ShardWorker:
    """Ray Data callable class: one per actor, loads the detector in its constructor."""

    def __init__(self, policy_json: str, key: bytes, run_dir: str):
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        from policies.model import parse_policy
        from redact.pipeline.shard import ShardProcessor

        self.processor = ShardProcessor(parse_policy(json.loads(policy_json)), key, run_dir)
        self.processor.worker = {"pid": os.getpid(), "node": _node_id()}  # recorded in markers

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        results = []
        for plan_json in batch["plan"]:
            plan = ShardPlan(**json.loads(plan_json))
            results.append(json.dumps(self.processor.process(plan)))
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

    global _EMBEDDED
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not ray.is_initialized():
        _EMBEDDED = not (address or os.environ.get("RAY_ADDRESS"))
        if address or os.environ.get("RAY_ADDRESS"):
            target = address or os.environ.get("RAY_ADDRESS")
            try:
                ray.init(address=address or None, logging_level=logging.WARNING, log_to_driver=True)
            except ConnectionError as err:
                raise UsageError(
                    f"cannot reach the Ray cluster at {target} ({err}). Check --address or "
                    f"RAY_ADDRESS; a cluster with token authentication (the default since Ray 2.60) "
                    f"also needs RAY_AUTH_MODE=token and its token (~/.ray/auth_token or "
                    f"RAY_AUTH_TOKEN)."
                ) from None
        else:
            ray.init(
                # "local": always a fresh embedded Ray, even when `ray start` left a cluster
                # address on this machine (that one is used only when asked for).
                address="local",
                num_cpus=max(workers or os.cpu_count() or 1, 1),
                include_dashboard=False,
                # Loopback only: an embedded Ray never probes the network for its own address.
                _node_ip_address="127.0.0.1",
                logging_level=logging.ERROR,
                log_to_driver=True,
            )
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return max(1, workers or cpus)


def _forwarded_env() -> dict[str, str]:
    """Storage settings (endpoint, region; never credentials) workers on other nodes need."""
    from redact.io.storage import FORWARDED_ENV

    return {k: os.environ[k] for k in FORWARDED_ENV if os.environ.get(k)}


DEFAULT_SHARD_RETRIES = 3


def run_shards(
    plans: list[ShardPlan],
    policy_json: str,
    key: bytes,
    run_dir: str,
    workers: int,
    progress: bool = True,
    shard_retries: int = DEFAULT_SHARD_RETRIES,
) -> Iterator[dict[str, Any]]:
    """Yield each shard's completion marker as it finishes (in completion order).

    `progress=False` (a quiet run, e.g. under `redact bench`) turns Ray Data's progress
    reporting off: on a small machine the driver's CPU competes with the workers.

    A worker process that dies (killed, out of memory, a crash in native code) is restarted
    and its shard retried, at most `shard_retries` times per shard: Ray Data's default is to
    retry forever, so a shard that kills every worker it meets would hang the run instead
    of failing it."""
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = progress
    ctx.execution_options.preserve_order = False
    items = [{"plan": json.dumps(p.to_dict())} for p in plans]
    env = _forwarded_env()
    runtime_env = {"env_vars": env} if env and not _embedded() else None
    with warnings.catch_warnings():
        # Ray 2.60 has no named map_batches parameter for the actors' retry options and warns
        # that the keyword form goes in 2.64 (pyproject caps Ray below that).
        warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
        ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            ShardWorker,
            fn_constructor_kwargs={"policy_json": policy_json, "key": key, "run_dir": run_dir},
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=min(workers, len(plans))),
            num_cpus=1,
            runtime_env=runtime_env,
            max_restarts=-1,  # a dead actor always comes back (the budget is per shard)
            max_task_retries=shard_retries,
        )
    for row in ds.iter_rows():
        yield json.loads(row["marker"])
