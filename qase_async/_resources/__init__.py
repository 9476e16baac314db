"""Resource namespaces: one module per API tag, methods of a few lines each."""
