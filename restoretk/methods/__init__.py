"""Restoration methods, registered by name (see :mod:`restoretk.methods.registry`)."""

from restoretk.methods.registry import Degradation, Method, get_method, list_methods, register_method

__all__ = ["Degradation", "Method", "get_method", "list_methods", "register_method"]
