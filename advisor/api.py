"""The public facade for plugin authors: everything a plugin needs, from one import.

    from advisor.api import hookimpl, ModelSource, LoadedModel, TrainingBackend, ...

Names here are stable across minor versions of the hookspec (``HOOKSPEC_VERSION``); modules
behind them may move. The core's own code imports from the defining modules.
"""

from advisor.components import (
    BenchmarkRunner,
    ChoiceRequest,
    Example,
    ExampleResult,
    GenerationSpec,
    LoadedModel,
    ModelSource,
    PromptDoc,
    PromptStrategy,
    PromptSuite,
    RunOutput,
    SuiteOptions,
    TaskData,
    TokenCounter,
    TrainConfig,
    TrainingBackend,
    TrainResult,
)
from advisor.errors import AdvisorError, DataError, UsageError
from advisor.evidence import Rule, Source
from advisor.hookspecs import HOOKSPEC_VERSION, hookimpl
from advisor.methods import Method
from advisor.profile import Profile

__all__ = [
    "HOOKSPEC_VERSION",
    "AdvisorError",
    "BenchmarkRunner",
    "ChoiceRequest",
    "DataError",
    "Example",
    "ExampleResult",
    "GenerationSpec",
    "LoadedModel",
    "Method",
    "ModelSource",
    "Profile",
    "PromptDoc",
    "PromptStrategy",
    "PromptSuite",
    "Rule",
    "RunOutput",
    "Source",
    "SuiteOptions",
    "TaskData",
    "TokenCounter",
    "TrainConfig",
    "TrainResult",
    "TrainingBackend",
    "UsageError",
    "hookimpl",
]
