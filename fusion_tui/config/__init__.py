"""Run configuration: INI templates, `section.key=value` overrides and validation."""
