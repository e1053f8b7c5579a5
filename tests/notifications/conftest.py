"""Notification tests run on the supervision platform and a fake Web Push service."""

from __future__ import annotations

from tests.notifications.receiver import receiver as receiver
from tests.supervision.conftest import platform as platform
