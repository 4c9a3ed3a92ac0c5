"""Differentiable primitives, one module per family: math, reduce, shape (nn and conv later)."""
