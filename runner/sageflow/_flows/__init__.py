"""The flow runner: YAML flows with CEL expressions, validation, a journal and resume."""
