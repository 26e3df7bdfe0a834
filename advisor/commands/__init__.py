"""Built-in commands; each module holds one verb."""

from advisor.commands.benchmark import benchmark
from advisor.commands.cost import cost
from advisor.commands.models import models
from advisor.commands.plugins import plugins
from advisor.commands.profile import profile
from advisor.commands.recommend import recommend
from advisor.commands.train import train

ALL_COMMANDS = [recommend, cost, profile, benchmark, train, models, plugins]
