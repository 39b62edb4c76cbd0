"""Choosing and exploring the prior scale: shrinkage paths (MAP beside the posterior)."""

from .shrinkage import ShrinkagePath, shrinkage_path

__all__ = ["ShrinkagePath", "shrinkage_path"]
