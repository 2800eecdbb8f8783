"""(being written)"""
from ..api import bp  # noqa: F401
