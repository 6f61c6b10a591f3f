"""Blue/green rebuilds of the read models from the event store, and verification.

- ``run``: the rebuild itself (``rebuild``, ``plan_rebuild``, ``finish_swap``), step by step;
- ``replay``: reading the event store into generation builders (whole store, catch-up, tail);
- ``source``: what a rebuild reads (the store in commit order, restricted to stream types);
- ``builder``: folds envelopes into a generation through the live projector's pure folds;
- ``overlap``: reading, folding and writing on separate threads;
- ``targets``, ``mongo_target``, ``search_target``: generations of each read model and how
  they are created, swapped in and dropped;
- ``guard``: one rebuild per read model at a time, and the swap journal;
- ``verify``: compare the live read models with a scratch rebuild.
"""
