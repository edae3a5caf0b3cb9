print("deepgen-bench: not yet implemented")
