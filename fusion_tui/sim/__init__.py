"""The built-in elastic-optical-network simulator, speaking FUSION's command line, INI
configuration, progress events, log lines and result files. Headless: no Textual."""
