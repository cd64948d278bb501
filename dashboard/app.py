"""The KPI dashboard (Dash + Plotly): filters, KPI cards, a trend, bars and pies over the serving views.

Every number comes from `dashboard.data.state`, i.e. from the KPI queries that `insights kpis` runs, on
the serving source the app was created with (local DuckDB views or Synapse serverless). The cards carry
their exact value in `data-value` and the whole KPI document sits in `#kpi-document`, so a test (or a
curious analyst) can compare them with `insights kpis --json` for the same filter. Revenue is shown in
the app's currency (a display setting: the lake holds amounts, not a currency).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import dash
from dash import Input, Output, dcc, html

from dashboard import figures
from dashboard.data import DashboardState, options, state
from insights.money import DEFAULT_CURRENCY, check_currency
from insights.serving.kpis import GENDERS, KpiError, KpiFilter
from insights.serving.local import ServingError
from insights.serving.queries import GRAINS, ServingSource

ASSETS = Path(__file__).resolve().parent / "assets"
MAX_POINTS = 200  # per line of the trend: past this, a finer grain draws a band of noise, not a trend
PERIOD_DAYS = {"day": 1, "week": 7, "month": 30}


def create_app(source: ServingSource, currency: str = DEFAULT_CURRENCY) -> dash.Dash:
    """A Dash app over `source`, revenue in `currency`; serve it with `dashboard.server.DashboardServer`."""
    currency = check_currency(currency)
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
        Output("title-trend", "children"),
        Output("trend-note", "children"),
        Output("content", "hidden"),
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
            asked = grain if grain in GRAINS else "month"
            shown = readable_grain(asked, filters.start or choices.first_date, filters.end or choices.last_date)
            current = state(source, filters, shown)
        except (KpiError, ServingError) as error:
            blank = figures.empty("")  # hidden with the rest: the error is said once, above
            return [], "", "", blank, blank, blank, "", "", True, str(error)
        note = (
            f"A {asked} view draws at most {MAX_POINTS} points per line: this range is shown by {shown}."
            if shown != asked
            else ""
        )
        return (
            _cards(current, currency),
            json.dumps(current.kpis["filters"], sort_keys=True),
            json.dumps(current.kpis),
            figures.trend(current, currency),
            figures.revenue_by_category(current, currency),
            figures.gender_split_by_category(current),
            f"Revenue and products sold by {shown}",
            note,
            False,
            "",
        )

    return app


def readable_grain(asked: str, first: date | None, last: date | None) -> str:
    """The asked grain, or the next coarser one while the range would draw more than MAX_POINTS per line."""
    if first is None or last is None:
        return asked
    grains = list(GRAINS)
    for grain in grains[grains.index(asked) :]:
        if (last - first).days // PERIOD_DAYS[grain] + 1 <= MAX_POINTS:
            return grain
    return grains[-1]


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
            html.Div(
                id="content",
                children=[
                    html.Section(id="kpi-cards", className="cards"),
                    html.Pre(id="kpi-document", hidden=True),
                    _chart("chart-trend", html.H2(id="title-trend"), html.P(id="trend-note", className="note")),
                    html.Div(
                        className="charts",
                        children=[
                            _chart("chart-category", html.H2("Revenue by category and gender")),
                            _chart("chart-pies", html.H2("Gender split of customers within each category")),
                        ],
                    ),
                ],
            ),
        ],
    )


def _chart(graph_id: str, *heading) -> html.Section:
    graph = dcc.Graph(id=graph_id, config={"displaylogo": False, "responsive": True})  # fills its box
    return html.Section(className="chart", children=[*heading, html.Div(graph, className=f"graph-box {graph_id}-box")])


def _filter(label: str, control) -> html.Div:
    return html.Div(className="filter", children=[html.Label(label, className="filter-label"), control])


def _card(card_id: str, title: str, text: str, value, extra=None) -> html.Div:
    children = [html.Div(title, className="card-title"), html.Div(text, className="card-value")]
    if extra:
        children.append(extra)
    return html.Div(id=card_id, className="card", children=children, **{"data-value": str(value)})


def _cards(current: DashboardState, currency: str) -> list[html.Div]:
    kpis = current.kpis
    customers = kpis["customers"]
    split = html.Table(
        className="split",
        children=[
            html.Thead(html.Tr([html.Th("Gender"), html.Th("Customers"), html.Th("Revenue share")])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Th(gender, scope="row"),
                            html.Td(
                                f"{count:,} ({count / customers if customers else 0:.1%})",
                                id=f"kpi-customers-{gender}",
                                **{"data-value": str(count)},
                            ),
                            html.Td(
                                f"{current.revenue_share[gender]:.1%}" if current.revenue_share else "-",
                                id=f"kpi-revenue-share-{gender}",
                                **{"data-value": str(current.revenue_share.get(gender, ""))},
                            ),
                        ]
                    )
                    for gender, count in kpis["customers_by_gender"].items()
                ]
            ),
        ],
    )
    return [
        _card("kpi-products-sold", "Products sold", f"{kpis['products_sold']:,}", kpis["products_sold"]),
        _card("kpi-revenue", f"Revenue ({currency})", f"{Decimal(kpis['revenue']):,}", kpis["revenue"]),
        _card("kpi-orders", "Orders", f"{kpis['orders']:,}", kpis["orders"]),
        _card("kpi-customers", "Customers, gender split and revenue share", f"{customers:,}", customers, split),
    ]
