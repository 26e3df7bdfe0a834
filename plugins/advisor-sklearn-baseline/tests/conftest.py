# advisor's fixtures for plugin authors (tiny_data, advisor_plugins, ...): see advisor.testing.
from advisor.testing import *  # noqa: F401,F403
