"""The notification service (process ``ledgerline notify``): webhooks and e-mail delivered at
least once from the event stream. See the README's "Notifications" section."""
