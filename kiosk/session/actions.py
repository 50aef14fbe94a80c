"""The session's actions for the UI: each posts an event for the core thread (thread-safe)."""

from __future__ import annotations

from kiosk.circulation.view import (
    AnswerFee,
    BackToMenu,
    ChooseReceipt,
    FinishVisit,
    Purpose,
    ReceiptChoice,
    RenewAll,
    RenewSelected,
    StartVisit,
    ToggleRenewal,
)
from kiosk.domain.events import Core
from kiosk.session.events import (
    CancelPressed,
    ChildrenChanged,
    LanguageChosen,
    LogoutPressed,
    PinSubmitted,
    UserActivity,
)


class SessionActions:
    """Mixed into :class:`~kiosk.session.service.SessionService`; screens call these."""

    _core: Core

    def submit_pin(self, pin: str) -> None:
        self._core.post(PinSubmitted(pin))

    def change_children(self, step: int) -> None:
        """At the door: one child more (1) or fewer (-1) comes in with the patron."""
        self._core.post(ChildrenChanged(step))

    def cancel(self) -> None:
        self._core.post(CancelPressed())

    def logout(self) -> None:
        self._core.post(LogoutPressed())

    def activity(self) -> None:
        self._core.post(UserActivity())

    def choose_language(self, language: str) -> None:
        self._core.post(LanguageChosen(language))

    def start_visit(self, purpose: Purpose) -> None:
        self._core.post(StartVisit(purpose))

    def finish_visit(self) -> None:
        self._core.post(FinishVisit())

    def choose_receipt(self, choice: ReceiptChoice) -> None:
        self._core.post(ChooseReceipt(choice))

    def answer_fee(self, accept: bool) -> None:
        self._core.post(AnswerFee(accept))

    def toggle_renewal(self, item_id: str) -> None:
        self._core.post(ToggleRenewal(item_id))

    def renew_selected(self) -> None:
        self._core.post(RenewSelected())

    def renew_all(self) -> None:
        self._core.post(RenewAll())

    def back_to_menu(self) -> None:
        self._core.post(BackToMenu())
