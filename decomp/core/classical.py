"""Classical schemes typed in by hand from the papers, as text that
core.render.parse_algorithm reads: Strassen (1969) for <2,2,2> rank 7 and
Laderman (1976) for <3,3,3> rank 23. The tests check codegen, rendering and
combination against them, and bench/codegen_speed.py runs Strassen."""

# Strassen, "Gaussian elimination is not optimal", Numer. Math. 13 (1969).
STRASSEN = """
M1 = (A11 + A22) * (B11 + B22)
M2 = (A21 + A22) * B11
M3 = A11 * (B12 - B22)
M4 = A22 * (B21 - B11)
M5 = (A11 + A12) * B22
M6 = (A21 - A11) * (B11 + B12)
M7 = (A12 - A22) * (B21 + B22)
C11 = M1 + M4 - M5 + M7
C12 = M3 + M5
C21 = M2 + M4
C22 = M1 - M2 + M3 + M6
"""

# Laderman, "A noncommutative algorithm for multiplying 3x3 matrices using
# 23 multiplications", Bull. AMS 82 (1976).
LADERMAN = """
M1 = (A11 + A12 + A13 - A21 - A22 - A32 - A33) * B22
M2 = (A11 - A21) * (-B12 + B22)
M3 = A22 * (-B11 + B12 + B21 - B22 - B23 - B31 + B33)
M4 = (-A11 + A21 + A22) * (B11 - B12 + B22)
M5 = (A21 + A22) * (-B11 + B12)
M6 = A11 * B11
M7 = (-A11 + A31 + A32) * (B11 - B13 + B23)
M8 = (-A11 + A31) * (B13 - B23)
M9 = (A31 + A32) * (-B11 + B13)
M10 = (A11 + A12 + A13 - A22 - A23 - A31 - A32) * B23
M11 = A32 * (-B11 + B13 + B21 - B22 - B23 - B31 + B32)
M12 = (-A13 + A32 + A33) * (B22 + B31 - B32)
M13 = (A13 - A33) * (B22 - B32)
M14 = A13 * B31
M15 = (A32 + A33) * (-B31 + B32)
M16 = (-A13 + A22 + A23) * (B23 + B31 - B33)
M17 = (A13 - A23) * (B23 - B33)
M18 = (A22 + A23) * (-B31 + B33)
M19 = A12 * B21
M20 = A23 * B32
M21 = A21 * B13
M22 = A31 * B12
M23 = A33 * B33
C11 = M6 + M14 + M19
C12 = M1 + M4 + M5 + M6 + M12 + M14 + M15
C13 = M6 + M7 + M9 + M10 + M14 + M16 + M18
C21 = M2 + M3 + M4 + M6 + M14 + M16 + M17
C22 = M2 + M4 + M5 + M6 + M20
C23 = M14 + M16 + M17 + M18 + M21
C31 = M6 + M7 + M8 + M11 + M12 + M13 + M14
C32 = M12 + M13 + M14 + M15 + M22
C33 = M6 + M7 + M8 + M9 + M23
"""
