"""
How a strategy names the series it publishes with ``publish_signal`` (the report reads the names).

A series is named ``<group>.<name>`` (``toxicity.vpin``, ``regime.crowding``): the runtime records
every published value with its time (``series.parquet``), and the report draws one panel per
group. A name starting with ``COUNT_PREFIX`` (``count.entries``) is a running total: its last
value becomes a statistic of the run (``stats.json``, a sweep's runs table) and the totals share
one panel. ``strategies.counts.RunCounts`` keeps such totals. ``trade_tags`` names the two series
that shade the price panel (``regime.state``, ``toxicity.toxic``).
"""

COUNT_PREFIX = "count."
