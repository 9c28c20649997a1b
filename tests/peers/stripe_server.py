"""A real fake-Stripe server (localstripe) on loopback for tests of the Stripe gateway."""
