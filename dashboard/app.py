"""The KPI dashboard (Dash + Plotly): filters, KPI cards, a trend, bars and pies over the serving views.

Every number comes from `dashboard.data.state`, i.e. from the KPI queries that `insights kpis` runs, on
the serving source the app was created with (local DuckDB views or Synapse serverless). The cards carry
their exact value in `data-value` and the whole KPI document sits in `#kpi-document`, so a test (or a
curious analyst) can compare them with `insights kpis --json` for the same filter.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import dash
from dash import Input, Output, dcc, html

from dashboard import figures
from dashboard.data import options, state
from insights.serving.kpis import GENDERS, KpiError, KpiFilter
from insights.serving.local import ServingError
from insights.serving.queries import GRAINS, ServingSource

ASSETS = Path(__file__).resolve().parent / "assets"


def create_app(source: ServingSource) -> dash.Dash:
    """A Dash app over `source`; serve it with `dashboard.server.DashboardServer`."""
    choices = options(source)
    app = dash.Dash(
        __name__,
        title="Customer Insights",
        assets_folder=str(ASSETS),
        serve_locally=True,
        update_title=None,
    )
    app.layout = _layout(source.label, choices.categories, choices.first_date, choices.last_date)

    @app.callback(
        Output("kpi-cards", "children"),
        Output("kpi-cards", "data-filters"),
        Output("kpi-document", "children"),
        Output("chart-trend", "figure"),
        Output("chart-category", "figure"),
        Output("chart-pies", "figure"),
        Output("error", "children"),
        Input("filter-categories", "value"),
        Input("filter-genders", "value"),
        Input("filter-dates", "start_date"),
        Input("filter-dates", "end_date"),
        Input("filter-grain", "value"),
    )
    def update(categories, genders, start, end, grain):
        try:
            filters = KpiFilter(
                start=_date(start),
                end=_date(end),
                categories=tuple(c for c in choices.categories if c in (categories or [])),
                genders=tuple(g for g in GENDERS if g in (genders or [])),
            )
            current = state(source, filters, grain if grain in GRAINS else "month")
        except (KpiError, ServingError) as error:
            blank = figures.empty("")
            return [], "", "", blank, blank, blank, str(error)
        return (
            _cards(current.kpis),
            json.dumps(current.kpis["filters"], sort_keys=True),
            json.dumps(current.kpis),
            figures.trend(current),
            figures.revenue_by_category(current),
            figures.gender_split_by_category(current),
            "",
        )

    return app


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _layout(label: str, categories: list[str], first: date | None, last: date | None) -> html.Div:
    return html.Div(
        className="page",
        children=[
            html.Header(
                className="header",
                children=[
                    html.H1("Customer Insights"),
                    html.P("Sales by customer gender and product category", className="subtitle"),
                    html.Span(f"Data: {label}", id="source-label", className="source"),
                ],
            ),
            html.Section(
                className="filters",
                children=[
                    _filter(
                        "Categories (none checked = all)",
                        dcc.Checklist(id="filter-categories", options=categories, value=[], inline=True),
                    ),
                    _filter(
                        "Genders (none checked = all)",
                        dcc.Checklist(id="filter-genders", options=list(GENDERS), value=[], inline=True),
                    ),
                    _filter(
                        "Order dates (inclusive)",
                        dcc.DatePickerRange(
                            id="filter-dates",
                            start_date=first.isoformat() if first else None,
                            end_date=last.isoformat() if last else None,
                            display_format="YYYY-MM-DD",
                            first_day_of_week=1,
                            clearable=True,
                            start_date_id="filter-start",
                            end_date_id="filter-end",
                            start_date_placeholder_text="first",
                            end_date_placeholder_text="last",
                        ),
                    ),
                    _filter(
                        "Trend by",
                        dcc.RadioItems(
                            id="filter-grain",
                            options=[{"label": grain.capitalize(), "value": grain} for grain in GRAINS],
                            value="month",
                            inline=True,
                        ),
                    ),
                ],
            ),
            html.Div(id="error", role="alert", className="error"),
            html.Section(id="kpi-cards", className="cards"),
            html.Pre(id="kpi-document", hidden=True),
            dcc.Graph(id="chart-trend", config={"displaylogo": False}),
            html.Div(
                className="charts",
                children=[
                    dcc.Graph(id="chart-category", config={"displaylogo": False}),
                    dcc.Graph(id="chart-pies", config={"displaylogo": False}),
                ],
            ),
        ],
    )


def _filter(label: str, control) -> html.Div:
    return html.Div(className="filter", children=[html.Label(label, className="filter-label"), control])


def _card(card_id: str, title: str, text: str, value, extra=None) -> html.Div:
    children = [html.Div(title, className="card-title"), html.Div(text, className="card-value")]
    if extra:
        children.append(extra)
    return html.Div(id=card_id, className="card", children=children, **{"data-value": str(value)})


def _cards(kpis: dict) -> list[html.Div]:
    customers = kpis["customers"]
    split = html.Ul(
        className="split",
        children=[
            html.Li(
                id=f"kpi-customers-{gender}",
                children=f"{gender}: {count:,} ({count / customers if customers else 0:.1%})",
                **{"data-value": str(count)},
            )
            for gender, count in kpis["customers_by_gender"].items()
        ],
    )
    return [
        _card("kpi-products-sold", "Products sold", f"{kpis['products_sold']:,}", kpis["products_sold"]),
        _card("kpi-revenue", "Revenue", f"{Decimal(kpis['revenue']):,}", kpis["revenue"]),
        _card("kpi-orders", "Orders", f"{kpis['orders']:,}", kpis["orders"]),
        _card("kpi-customers", "Customers (gender split)", f"{customers:,}", customers, split),
    ]
