"""
The reports' figures: plotly panels over the tables of ``research.compute``.

``panels`` holds the helpers every report shares (thinning long series, stacked time panels).
"""
