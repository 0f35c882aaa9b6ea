"""Run configuration, whatever the kind of run: INI templates, `section.key=value`
overrides and the schema machinery (each kind of run brings its own rules: `kinds/`)."""
