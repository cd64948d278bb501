-- gold.fct_sales: one row per order line (sales_order_id, sales_order_detail_id), sales and
-- non-sales alike (`is_sale` = 0 for rejected or cancelled orders). Reads the Delta table gold/fct_sales.
CREATE OR ALTER VIEW gold.fct_sales AS
SELECT
    fct.sales_order_id,
    fct.sales_order_detail_id,
    fct.sales_order_number,
    fct.order_date,
    fct.order_status,
    fct.is_sale,
    fct.customer_id,
    fct.gender,
    fct.product_id,
    fct.product_name,
    fct.category,
    fct.subcategory,
    fct.order_qty,
    fct.unit_price,
    fct.unit_price_discount,
    fct.line_total,
    fct._updated_at
FROM OPENROWSET(
    BULK 'fct_sales/',
    DATA_SOURCE = 'gold_lake',
    FORMAT = 'DELTA'
) WITH (
    sales_order_id INT,
    sales_order_detail_id INT,
    sales_order_number VARCHAR(25),
    order_date DATE,
    order_status INT,
    is_sale BIT,
    customer_id INT,
    gender VARCHAR(10),
    product_id INT,
    product_name VARCHAR(200),
    category VARCHAR(200),
    subcategory VARCHAR(200),
    order_qty INT,
    unit_price DECIMAL(19, 4),
    unit_price_discount DECIMAL(19, 4),
    line_total DECIMAL(38, 6),
    _updated_at DATETIME2(7)
) AS fct;
