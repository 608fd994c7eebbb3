"""What every step's pane shares: the session it shows, its heading, and being built only
when first shown (the app draws its first screen without every form)."""

from __future__ import annotations

from textual.widgets import Static

from wizard.questions import STEPS, step

from .session import WizardSession


def step_heading(key: str) -> Static:
    number = [s.key for s in STEPS].index(key) + 1
    return Static(f"{number}/{len(STEPS)} {step(key).title}  [dim](F1: what this means in WSO2 terms)[/]",
                  classes="step-heading")


class StepView:
    """Mixin for a step's pane (a Textual container): ``compose`` yields nothing until
    :meth:`activate` builds it; ``built`` runs once it is."""

    active = False

    @property
    def session(self) -> WizardSession:
        return self.app.session  # type: ignore[attr-defined]

    async def activate(self) -> None:
        if not self.active:
            self.active = True
            await self.recompose()  # type: ignore[attr-defined]
            self.built()

    def built(self) -> None:
        """Called once the pane's widgets exist."""
