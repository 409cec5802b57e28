"""Scenario files in: YAML read safely, validated into an immutable Scenario; answers files; the JSON Schema.

The layer above the base (errors, names, refs, cache, textfile). Only this package reads YAML.
Sub-package __init__ files import nothing, so a command imports only the modules it uses.
"""
