"""``python -m advisor``: the same command line as the ``advisor`` script."""

from advisor.cli import main

if __name__ == "__main__":
    main()
