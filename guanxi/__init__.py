"""Guanxi (关系): customer relationships and maintenance automation."""
