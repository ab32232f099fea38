"""Anonymization methods (LA3D's, plus a solid fill) behind one registry."""

from privad.protect.methods.registry import METHODS, Method, get_method, register

__all__ = ["METHODS", "Method", "get_method", "register"]
