"""The dashboard's charts (Plotly) from one `DashboardState`: they draw numbers, they compute none."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.data import DashboardState
from insights.serving.kpis import GENDERS

GENDER_COLORS = {"Female": "#c2185b", "Male": "#1565c0", "Unknown": "#9e9e9e"}
TICK_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%b %Y"}
GRAIN_LABELS = {"day": "Day", "week": "Week (starting Monday)", "month": "Month"}
_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 40}, "legend_title_text": "Gender"}


def empty(title: str) -> go.Figure:
    figure = go.Figure(layout={**_LAYOUT, "title": title})
    figure.add_annotation(text="No sales in this filter", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def trend(state: DashboardState) -> go.Figure:
    """Revenue and products sold over time, one line per gender."""
    title = f"Revenue and products sold by {state.grain}"
    if not state.trend:
        return empty(title)
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=("Revenue", "Products sold")
    )
    for gender in GENDERS:
        points = [p for p in state.trend if p.gender == gender]
        if not points:
            continue
        periods = [p.period for p in points]
        color = GENDER_COLORS[gender]
        figure.add_trace(
            go.Scatter(
                x=periods,
                y=[float(p.revenue) for p in points],
                name=gender,
                legendgroup=gender,
                mode="lines+markers" if len(points) < 60 else "lines",
                line={"color": color},
                hovertemplate="%{x|%Y-%m-%d}: %{y:,.2f}<extra>" + gender + "</extra>",
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
                mode="lines+markers" if len(points) < 60 else "lines",
                line={"color": color, "dash": "dot"},
                hovertemplate="%{x|%Y-%m-%d}: %{y:,}<extra>" + gender + "</extra>",
            ),
            row=2,
            col=1,
        )
    figure.update_layout(**_LAYOUT, title=title, height=460)
    figure.update_xaxes(tickformat=TICK_FORMATS[state.grain])
    if state.grain == "month" and len({p.period for p in state.trend}) <= 24:
        figure.update_xaxes(dtick="M1")
    figure.update_xaxes(title_text=GRAIN_LABELS[state.grain], row=2, col=1)
    return figure


def revenue_by_category(state: DashboardState) -> go.Figure:
    """Revenue by category, one bar per gender."""
    title = "Revenue by category and gender"
    if not state.category_gender:
        return empty(title)
    figure = go.Figure(layout={**_LAYOUT, "title": title, "barmode": "group", "height": 380})
    for gender in GENDERS:
        cells = [c for c in state.category_gender if c.gender == gender]
        if cells:
            figure.add_trace(
                go.Bar(
                    x=[c.category for c in cells],
                    y=[float(c.revenue) for c in cells],
                    name=gender,
                    marker_color=GENDER_COLORS[gender],
                    hovertemplate="%{x}: %{y:,.2f}<extra>" + gender + "</extra>",
                )
            )
    figure.update_yaxes(title_text="Revenue")
    return figure


def gender_split_by_category(state: DashboardState) -> go.Figure:
    """One pie per category: its distinct customers by gender."""
    title = "Gender split of customers within each category"
    categories = sorted({c.category for c in state.category_gender})
    if not categories:
        return empty(title)
    figure = make_subplots(
        rows=1, cols=len(categories), specs=[[{"type": "domain"}] * len(categories)], subplot_titles=categories
    )
    for column, category in enumerate(categories, start=1):
        cells = [c for c in state.category_gender if c.category == category]
        figure.add_trace(
            go.Pie(
                labels=[c.gender for c in cells],
                values=[c.customers for c in cells],
                name=category,
                marker={"colors": [GENDER_COLORS.get(c.gender, "#000") for c in cells]},
                sort=False,
                hovertemplate="%{label}: %{value:,} customers (%{percent})<extra>" + category + "</extra>",
            ),
            row=1,
            col=column,
        )
    figure.update_layout(**_LAYOUT, title=title, height=340)
    return figure
