"""The catalog service of the orders sample."""
