"""The test harness shared by the test modules (and by scripts/load_run.py), imported as ``tests.support.*``.

- ``botchat``: the real Application polling the fake Bot API peer in the test's process (``running_app``,
  ``running_bot``) and a citizen's chat with it (``Chat``); ``polling`` runs any PTB Application that way;
- ``process``: ``python -m bot run`` (or another bot command) as a real process against a Bot API server on
  loopback HTTP (``bot_process``, ``reply``);
- ``identity``: valid Iranian national codes, computed independently of the code under test;
- ``clock``: ``FakeClock``, a clock that moves only when a test moves it.

Nothing here is a test: pytest does not collect this folder (``collect_ignore`` in conftest.py).
"""
