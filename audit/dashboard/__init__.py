"""Reviewer dashboard: `create_app(run_dir, db_path=None, policy=None)` and the review store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(run_dir, db_path=None, policy=None, **options) -> FastAPI:
    from audit.dashboard.app import create_app as _create_app

    return _create_app(run_dir, db_path=db_path, policy=policy, **options)


__all__ = ["create_app"]
