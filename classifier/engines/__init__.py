"""Engines that run the same classify code path beyond one process.

``classifier.engines.dask`` needs the ``dask`` extra (``pip install -e ".[dask]"``);
nothing here is imported by the local engine.
"""
