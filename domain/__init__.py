"""Pure domain of Ledgerline: aggregates, their events and invariants, and domain services.

Imports only the standard library and ``eventsourcing.domain``; no I/O.

One pattern throughout: the body of an ``@event``-decorated method runs both when the event is
triggered and when a stored event is replayed. Validation there would re-judge history with
today's rules (a withdrawn currency, a stricter email check) and could make old streams
unreadable. So each command is split in two:

- a public command method (``Account.debit``) calls the ``check_*`` invariants, then
- a private ``@event(Debited)`` method (``Account._debited``) only applies state.

Creation works the same way: ``__init__`` (decorated with the "created" event) only assigns
state, and each aggregate's ``_create`` classmethod, which runs for new aggregates only, validates
and normalises the constructor input before the event is built.

Event classes are declared explicitly with full type annotations and a ``SCHEMA_VERSION``
(the User's, being many, in ``domain.user_events``); their stored names are
"<Aggregate><EventClass>" (see ``domain.registry``).
"""
