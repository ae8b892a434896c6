"""Flows on Temporal: a workflow running the engine, activities calling components, a worker."""
