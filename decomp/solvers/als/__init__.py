"""Numeric CP fits snapped to exact schemes: solver.py (the method), snap.py
(discretisation), cyclic.py (fits among cyclic-symmetric schemes). No numba."""
