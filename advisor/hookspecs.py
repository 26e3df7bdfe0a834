"""The hooks a plugin may implement. Each returns a list of objects from ``advisor.components``
(or registers click commands). A plugin implements any subset; see docs/plugins.md."""

import pluggy

PROJECT = "advisor"
# 2.0: typed contracts (LoadedModel, PromptSuite, RunOutput, TrainingBackend.attach) and
# advisor_resolve_model. A plugin declaring ADVISOR_HOOKSPEC = "1.x" is refused with a message.
HOOKSPEC_VERSION = "2.0"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def advisor_evidence():
    """Return evidence rules (``advisor.evidence.Rule``) that score a profile."""


@hookspec
def advisor_prompt_strategies():
    """Return prompt strategies (``advisor.components.PromptStrategy``)."""


@hookspec
def advisor_training_backends():
    """Return training backends (``advisor.components.TrainingBackend``)."""


@hookspec
def advisor_benchmarks():
    """Return benchmark runners (``advisor.components.BenchmarkRunner``)."""


@hookspec
def advisor_models():
    """Return model sources (``advisor.components.ModelSource``)."""


@hookspec(firstresult=True)
def advisor_resolve_model(name):
    """Return the ``ModelSource`` for ``name`` (None = the default model), or None if this
    plugin does not provide it. The first plugin (in load order) that answers wins.

    Example: a plugin that serves local folders answers for any existing directory::

        @hookimpl
        def advisor_resolve_model(name):
            if name and Path(name).is_dir():
                return folder_source(Path(name))
    """


@hookspec
def advisor_methods():
    """Return adaptation methods (``advisor.methods.Method``) the engine may recommend."""


@hookspec
def advisor_commands(cli):
    """Add click commands to the ``advisor`` group ``cli`` (call ``cli.add_command``)."""
