"""Persian chatbot for government service information, registration and tracking (Telegram and Bale)."""

import os

# PTB 22 reports retry_after as a timedelta only when asked to; the old int form is deprecated and its
# warning would be raised as an error under the tests' warning filter.
os.environ.setdefault("PTB_TIMEDELTA", "1")
