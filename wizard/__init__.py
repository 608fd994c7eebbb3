"""apim-wizard domain: answer model, validation, topology, renderers, PKI and file plan.

Nothing in this package imports Textual or questionary; the front ends in ``screens/``
(the Textual app, the plain prompts) adapt it.
"""

__version__ = "0.1.0"
