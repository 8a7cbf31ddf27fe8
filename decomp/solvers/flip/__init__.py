"""Flip-graph random walks over GF(2): solver.py (the method), walk.py (one
walker), kernel.py and cyclic_kernel.py (numba), cyclic.py (symmetric
schemes), adaptive.py (pools of schemes per rank)."""
