"""Several nodes: `ray.cluster_utils.Cluster` (a 1-CPU head and a 1-CPU worker node on this
machine) runs the pipeline with one detector actor per node; output is complete and correct."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.cluster_helpers import (
    check_run,
    markers,
    output_sums,
    reference_run,
    shared_head,
    shared_inputs,
)

pytestmark = pytest.mark.ray


@pytest.fixture(scope="session")
def head(request):
    return shared_head(request)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, head) -> Path:
    """The uninterrupted one-node run of the same input (made before the cluster starts)."""
    return reference_run(tmp_path_factory, head)


@pytest.fixture(scope="module")
def cluster():
    import ray
    from ray.cluster_utils import Cluster

    # Cluster() writes its address where a bare ray.init() on this machine would find it;
    # put back what was there so other Ray users on this machine are not redirected to it.
    address_file = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
    before = address_file.read_text() if address_file.exists() else None
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        if before is None:
            address_file.unlink(missing_ok=True)
        else:
            address_file.write_text(before)
        c.add_node(num_cpus=1)
        c.wait_for_nodes()
        yield c
    finally:
        ray.shutdown()
        c.shutdown()


def test_detector_actors_on_two_nodes_give_complete_correct_output(
    reference, cluster, tmp_path_factory
):
    import ray
    import ray.data

    from redact.pipeline.job import RunOptions, run

    src, policy = shared_inputs(tmp_path_factory)
    out = tmp_path_factory.mktemp("nodes") / "run"
    # Start shards only once both actors are up, so each node gets work however slowly one loads.
    ray.init(address=cluster.address)
    ray.data.DataContext.get_current().wait_for_min_actors_s = 600
    try:
        node_ids = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
        manifest = run(RunOptions(inputs=[str(src)], output=str(out), policy=str(policy),
                                  address=cluster.address, workers=2, operator="op-nodes", quiet=True))  # fmt: skip
    finally:
        ray.shutdown()

    assert len(node_ids) == 2
    done = markers(out)
    assert {m["worker"]["node"] for m in done} == node_ids, (
        "detector actors did not run on both nodes"
    )
    assert manifest["timing"]["workers"] == 2
    assert len(done) == len(manifest["shards"]) == 8

    check_run(out, src)
    # Correct: the same bytes as a one-node run of the same input, policy and key.
    assert output_sums(out) == output_sums(reference)
