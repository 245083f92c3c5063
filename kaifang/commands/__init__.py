"""CLI command modules; each exposes register(app). Discovered by kaifang.cli."""
