"""A real SMTP server (aiosmtpd) on loopback for tests that check delivered email."""
