-- gold.agg_daily_sales: one row per (order_date, category, subcategory, gender), sales only.
-- products_sold and revenue add up across rows; order_lines, orders and customers are distinct counts
-- within the cell: never add them up across days or categories (use gold.sales for those).
-- week_start (the Monday of the week) and month_start are calendar conveniences for trends.
CREATE OR ALTER VIEW gold.agg_daily_sales AS
SELECT
    agg.order_date,
    agg.category,
    agg.subcategory,
    agg.gender,
    agg.products_sold,
    agg.revenue,
    agg.order_lines,
    agg.orders,
    agg.customers,
    -- 1900-01-01 is a Monday: independent of @@DATEFIRST and of the session language.
    CAST(DATEADD(day, -(DATEDIFF(day, CAST('1900-01-01' AS DATE), agg.order_date) % 7), agg.order_date) AS DATE)
        AS week_start,
    DATEFROMPARTS(YEAR(agg.order_date), MONTH(agg.order_date), 1) AS month_start
FROM OPENROWSET(
    BULK 'agg_daily_sales/',
    DATA_SOURCE = 'gold_lake',
    FORMAT = 'DELTA'
) WITH (
    order_date DATE,
    category VARCHAR(200),
    subcategory VARCHAR(200),
    gender VARCHAR(10),
    products_sold BIGINT,
    revenue DECIMAL(38, 6),
    order_lines BIGINT,
    orders BIGINT,
    customers BIGINT
) AS agg;
