"""Preset answer files shipped with apim-wizard (installed as the ``wizard.bundled_presets`` package).

Each ``*.toml`` here is a plain answer file; its ``description`` is shown by
``apim-wizard presets``.
"""
