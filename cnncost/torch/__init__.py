"""The way out: a cnncost Graph becomes real torch modules (builders.py, network.py), which are checked against the
engine and torch's own counts (verify.py, counts.py) and timed (clock.py, bench.py, forward.py) against a measured
roofline (roofline.py) on a device described by device.py.

Only this package and cnncost.trace import torch (pip install 'cnncost[torch]').
"""
