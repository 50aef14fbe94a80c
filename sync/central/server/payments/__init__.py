"""Paying for prints through a card payment provider's hosted page: the provider's port
(:mod:`.provider`), QuickPay's REST API (:mod:`.quickpay`) and a simulated provider that speaks it
(:mod:`.simulator`), the service's rules for such a payment (:mod:`.card`), which rules a payment
follows (:mod:`.methods`) and the settings (:mod:`.settings`). The pages a payer's phone opens are
the web's (:mod:`sync.central.server.web.pay_pages`)."""
