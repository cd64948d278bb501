"""The dashboard's charts (Plotly) from one `DashboardState`: they draw numbers, they compute none.

Titles are HTML headings above each chart (`dashboard.app`), so they wrap on a narrow screen instead of
running into the plot; legends sit in a horizontal row that wraps with the width.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.data import DashboardState
from insights.serving.kpis import GENDERS

GENDER_COLORS = {"Female": "#c2185b", "Male": "#1565c0", "Unknown": "#9e9e9e"}
TICK_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%b %Y"}
GRAIN_LABELS = {"day": "Day", "week": "Week (starting Monday)", "month": "Month"}
NO_SALES = "No sales in this filter"
PIES_PER_ROW = 2  # four categories make a 2 x 2 grid: readable at phone width, compact on a desktop
_LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom", "title_text": ""},
    "separators": ".,",
}


def empty(message: str = NO_SALES) -> go.Figure:
    figure = go.Figure(layout=_LAYOUT)
    if message:
        figure.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def trend(state: DashboardState, currency: str) -> go.Figure:
    """Revenue and products sold over time, one line per gender."""
    if not state.trend:
        return empty()
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for gender in GENDERS:
        points = [p for p in state.trend if p.gender == gender]
        if not points:
            continue
        periods = [p.period for p in points]
        color = GENDER_COLORS[gender]
        mode = "lines+markers" if len(points) < 60 else "lines"
        figure.add_trace(
            go.Scatter(
                x=periods,
                y=[float(p.revenue) for p in points],
                name=gender,
                legendgroup=gender,
                mode=mode,
                line={"color": color},
                hovertemplate=f"%{{x|%Y-%m-%d}}: {currency} %{{y:,.2f}}<extra>{gender}</extra>",
            ),
            row=1,
            col=1,
        )
        figure.add_trace(
            go.Scatter(
                x=periods,
                y=[p.products_sold for p in points],
                name=gender,
                legendgroup=gender,
                showlegend=False,
                mode=mode,
                line={"color": color, "dash": "dot"},
                hovertemplate="%{x|%Y-%m-%d}: %{y:,}<extra>" + gender + "</extra>",
            ),
            row=2,
            col=1,
        )
    figure.update_layout(**_LAYOUT)
    figure.update_xaxes(tickformat=TICK_FORMATS[state.grain], automargin=True)
    if state.grain == "month" and len({p.period for p in state.trend}) <= 12:
        figure.update_xaxes(dtick="M1")
    figure.update_xaxes(title_text=GRAIN_LABELS[state.grain], row=2, col=1)
    figure.update_yaxes(title_text=f"Revenue ({currency})", exponentformat="B", row=1, col=1)
    figure.update_yaxes(title_text="Products sold", exponentformat="B", row=2, col=1)
    return figure


def revenue_by_category(state: DashboardState, currency: str) -> go.Figure:
    """Revenue by category, one bar per gender."""
    if not state.category_gender:
        return empty()
    figure = go.Figure(layout={**_LAYOUT, "barmode": "group"})
    for gender in GENDERS:
        cells = [c for c in state.category_gender if c.gender == gender]
        if cells:
            figure.add_trace(
                go.Bar(
                    x=[c.category for c in cells],
                    y=[float(c.revenue) for c in cells],
                    name=gender,
                    marker_color=GENDER_COLORS[gender],
                    hovertemplate=f"%{{x}}: {currency} %{{y:,.2f}}<extra>{gender}</extra>",
                )
            )
    figure.update_yaxes(title_text=f"Revenue ({currency})", exponentformat="B")
    return figure


def gender_split_by_category(state: DashboardState) -> go.Figure:
    """One pie per category: its distinct customers by gender, every slice labelled the same way."""
    categories = sorted({c.category for c in state.category_gender})
    if not categories:
        return empty()
    columns = min(PIES_PER_ROW, len(categories))
    rows = math.ceil(len(categories) / columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        specs=[[{"type": "domain"}] * columns] * rows,
        vertical_spacing=0.06,
    )
    for index, category in enumerate(categories):
        cells = [c for c in state.category_gender if c.category == category]
        figure.add_trace(
            go.Pie(
                labels=[c.gender for c in cells],
                values=[c.customers for c in cells],
                name=category,
                title={"text": category, "position": "top center"},  # inside the pie's cell: it cannot overlap
                marker={"colors": [GENDER_COLORS.get(c.gender, "#000") for c in cells]},
                sort=False,
                texttemplate="%{percent:.1%}",
                textposition="inside",
                insidetextorientation="horizontal",
                hovertemplate="%{label}: %{value:,} customers (%{percent:.1%})<extra>" + category + "</extra>",
            ),
            row=index // columns + 1,
            col=index % columns + 1,
        )
    # one label size on every slice; a slice too thin for it shows its share on hover only
    figure.update_layout(**_LAYOUT, uniformtext={"minsize": 11, "mode": "hide"})
    figure.update_layout(legend={"y": 1.06})  # a pie's title sits just above its cell: the legend above both
    return figure
