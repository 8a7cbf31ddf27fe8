"""What the GF(2) solvers share: factors packed as 64-bit words (words.py),
schemes converted to and from those words (bits.py) and one xorshift
generator for the numba kernels (rng.py). No numba-free solver imports this
package, so ALS loads without numba."""
