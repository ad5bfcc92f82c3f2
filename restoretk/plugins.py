"""Where every registry's built-ins come from, and the entry-point groups of third-party plug-ins.

Each registry (:class:`restoretk.registry.Registry`) loads, on its first lookup or
listing, the built-in modules declared here for its group, in this order, and then
the modules that installed packages declare under the same entry-point group. This
table sits at the top of the package (``restoretk/__init__.py`` imports it) so that
the layers below never import the layers that fill their registries: the method
registry does not import the learners, the PSF estimators do not import
:mod:`restoretk.blind`.

A registry whose built-ins are all in the module that defines it (PSF families,
network bodies, scenarios, ...) needs no line here; its group still loads plug-ins.

=============================  =======================================================
Entry-point group              What a plug-in module registers there
=============================  =======================================================
``restoretk.methods``          methods (:func:`restoretk.register_method`)
``restoretk.psf_families``     PSF families (:func:`restoretk.psf.register_family`)
``restoretk.estimators``       PSF estimators (:func:`restoretk.estimation.register_estimator`)
``restoretk.denoisers``        plug-and-play priors (:func:`restoretk.solvers.register_denoiser`)
``restoretk.bodies``           network bodies (:func:`restoretk.learners.bodies.register_body`)
``restoretk.heads``            network heads (:func:`restoretk.learners.heads.register_head`)
``restoretk.degradations``     training degradations (:func:`restoretk.learners.degradations.register_degradations`)
``restoretk.scenarios``        bench scenarios (:func:`restoretk.bench.scenarios.register_scenario`)
=============================  =======================================================

Examples
--------
>>> from restoretk.registry import providers
>>> providers("restoretk.methods")[-1]
'restoretk.learners.methods'
"""

from __future__ import annotations

from restoretk.registry import declare_providers

__all__ = ["BUILTIN_PROVIDERS"]

#: The built-in modules each group imports on first use, in order: listings start with
#: the classical methods, then plug-and-play, then the learned ones.
_METHODS = (
    "restoretk.methods.classical",
    "restoretk.methods.interpolation",
    "restoretk.methods.plug_and_play",
    "restoretk.learners.methods",
)
BUILTIN_PROVIDERS: dict[str, tuple[str, ...]] = {
    "restoretk.methods": _METHODS,
    "restoretk.estimators": ("restoretk.blind",),  # the free-form family ``shake``
    # restoretk's learned denoiser registers with the learned methods; all the methods load,
    # so that they list in the same order whichever registry is asked first
    "restoretk.denoisers": _METHODS,
}

for _group, _modules in BUILTIN_PROVIDERS.items():
    declare_providers(_group, _modules)
