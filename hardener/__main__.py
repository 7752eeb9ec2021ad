"""``python -m hardener``: the same command line as the ``hardener`` script."""

from hardener.cli import main

if __name__ == "__main__":
    main()
