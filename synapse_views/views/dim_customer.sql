-- gold.dim_customer: one row per customer_id, with the gender derived from the title.
CREATE OR ALTER VIEW gold.dim_customer AS
SELECT
    cust.customer_id,
    cust.title,
    cust.first_name,
    cust.last_name,
    cust.company_name,
    cust.email_address,
    cust.gender
FROM OPENROWSET(
    BULK 'dim_customer/',
    DATA_SOURCE = 'gold_lake',
    FORMAT = 'DELTA'
) WITH (
    customer_id INT,
    title VARCHAR(40),
    first_name VARCHAR(200),
    last_name VARCHAR(200),
    company_name VARCHAR(512),
    email_address VARCHAR(200),
    gender VARCHAR(10)
) AS cust;
