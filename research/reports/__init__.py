"""
One module per report (``vpin``, ``book``, ``flow``): its command-line options (``add_arguments``),
its parameters class (``CONFIG``), the rows it reads (``read_inputs``) and the report assembled
from ``research.compute`` and ``research.figures`` (``report``), which ``research.cli`` runs.
"""
