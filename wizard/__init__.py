"""apim-wizard domain: answer model, validation, topology, renderers, PKI and file plan.

Nothing in this package imports Textual or questionary; the front ends in ``screens/``
and ``wizard.prompt`` adapt it.
"""

__version__ = "0.1.0"
