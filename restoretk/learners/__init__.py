"""Learned restorers: network bodies, restoration heads, training and shipped weights.

``bodies`` (networks by name), ``heads`` (how a body becomes a restorer: ``mpr``,
``mpr-sr``, ``srnet``, ``wiener-resid``), ``degradations`` (training pairs),
``training`` (the trainer behind ``restoretk train``), ``weights`` (safetensors with
metadata, the shipped models), ``inference`` (devices, padding, tiles) and
``methods`` (the learned methods in the method registry).
"""
