"""Policy files (YAML) and the release gate that evaluates a run against them."""

from policies.model import Policy, load_policy, policy_hash

__all__ = ["Policy", "load_policy", "policy_hash"]
