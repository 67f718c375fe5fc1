"""Regenerate matrix rows from recorded copies of the vendors' own sources (a maintainer tool).

One parser per source (`parsers/`), each marking its rows with its generator name; `driver.run`
writes them into the bundled matrices without touching hand-curated rows and returns the diff.
"""
