"""Built-in plugin ``peft``: model sources (the embedded SmolLM2-135M, local folders) and the
``lora``, ``ia3`` and ``full`` training backends on transformers + peft.

Nothing heavy is imported here: torch, transformers and peft load when a model or backend is used.
"""

from __future__ import annotations

from advisor.hookspecs import hookimpl

ADVISOR_HOOKSPEC = "2.0"


@hookimpl
def advisor_models():
    from advisor_peft.models import available_models

    return available_models()


@hookimpl(trylast=True)
def advisor_resolve_model(name):
    """The embedded model, a local folder or a .gguf file; anything else is an error that says
    how to provide a model (answered last, so another plugin may serve the same name first)."""
    from advisor_peft.models import resolve_model

    return resolve_model(name)


@hookimpl
def advisor_training_backends():
    from advisor_peft.backends import backends

    return backends()
