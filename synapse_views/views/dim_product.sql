-- gold.dim_product: one row per product_id, with its top-level category and its own (sub)category.
CREATE OR ALTER VIEW gold.dim_product AS
SELECT
    prod.product_id,
    prod.product_name,
    prod.product_number,
    prod.color,
    prod.list_price,
    prod.product_category_id,
    prod.category,
    prod.subcategory
FROM OPENROWSET(
    BULK 'dim_product/',
    DATA_SOURCE = 'gold_lake',
    FORMAT = 'DELTA'
) WITH (
    product_id INT,
    product_name VARCHAR(200),
    product_number VARCHAR(100),
    color VARCHAR(60),
    list_price DECIMAL(19, 4),
    product_category_id INT,
    category VARCHAR(200),
    subcategory VARCHAR(200)
) AS prod;
