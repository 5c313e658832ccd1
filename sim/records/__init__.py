"""Observed records of any shape in: an administration's export read through a mapping, and
the tables a Time Release Study publishes.

The stage between the capabilities that use records (``calibrate``, ``trs``) and the
simulator below: it reads CSV, TSV, workbooks and Parquet (:mod:`.table`, sniffing what the
file does not say with :mod:`.sniff`), renames columns and maps values as the mapping file
says (:mod:`.mapping`, :mod:`.canon`), puts every time on the scenario's clock
(:mod:`.times`) and checks every row (:mod:`.read`). ``mrasim records inspect`` profiles a
file and drafts its mapping (:mod:`.inspect`); :mod:`.trs` computes the WCO Time Release
Study tables from observed or simulated records alike.
"""

from sim.records.mapping import EMPTY, Mapping, load_mapping
from sim.records.read import REASONS, Records, read_records, sha256_of

__all__ = ["EMPTY", "REASONS", "Mapping", "Records", "load_mapping", "read_records", "sha256_of"]
