"""
Parameter and ablation sweeps: many backtests from one TOML spec, on a process pool or Ray.

One module per job:

- ``spec``: the sweep spec (TOML, pydantic-validated);
- ``expand``: dotted-key overrides and the expansion of a spec into resolved run configs;
- ``sync``: copy the slice of a remote (fsspec) catalog a run needs to a local cache;
- ``task``: one backtest as a picklable task returning plain data (what workers execute);
- ``backends``: the ``local`` spawn process pool and the ``ray`` backend;
- ``store``: the resumable Parquet results table ``<output dir>/<sweep name>/runs.parquet``;
- ``summary``: the ablation table and the top-N ranking, printed with rich;
- ``html``: the self-contained HTML summary (plotly, heatmaps for 2-D grids);
- ``runner``: ties them together behind ``run_backtest.py --sweep``.

"""
