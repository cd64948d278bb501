-- gold.sales: the order lines that count as sales (DESIGN.md: an order whose status is not 4 rejected
-- or 6 cancelled), with the Monday of their week and the first day of their month. The KPI queries of
-- `insights kpis` and the dashboard, and Power BI's measures, read this view: the rule lives here once.
CREATE OR ALTER VIEW gold.sales AS
SELECT
    fct.sales_order_id,
    fct.sales_order_detail_id,
    fct.sales_order_number,
    fct.order_date,
    -- 1900-01-01 is a Monday: independent of @@DATEFIRST and of the session language.
    CAST(DATEADD(day, -(DATEDIFF(day, CAST('1900-01-01' AS DATE), fct.order_date) % 7), fct.order_date) AS DATE)
        AS week_start,
    DATEFROMPARTS(YEAR(fct.order_date), MONTH(fct.order_date), 1) AS month_start,
    fct.customer_id,
    fct.gender,
    fct.product_id,
    fct.product_name,
    fct.category,
    fct.subcategory,
    fct.order_qty,
    fct.unit_price,
    fct.unit_price_discount,
    fct.line_total
FROM gold.fct_sales AS fct
WHERE fct.is_sale = 1;
