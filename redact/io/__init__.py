"""Reading inputs, validating records, writing run outputs."""
