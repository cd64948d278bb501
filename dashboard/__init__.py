"""The KPI web dashboard: `create_app(source)` builds it, `DashboardServer` serves it on 127.0.0.1."""

from dashboard.app import create_app
from dashboard.server import DashboardServer

__all__ = ["DashboardServer", "create_app"]
