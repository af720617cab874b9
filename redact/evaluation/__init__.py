"""Detection quality evaluation: labeled data, our pipeline vs plain Presidio, metrics."""
