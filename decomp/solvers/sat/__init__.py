"""SAT over GF(2): solver.py (the method), encoding.py (Brent equations as
CNF), local.py (local search on the equations)."""
