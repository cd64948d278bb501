-- The views live in schema `gold`, named after the gold Delta tables they read (gold/fct_sales ->
-- gold.fct_sales): one name from Delta folder to view to dashboard query.
IF SCHEMA_ID('gold') IS NULL
    EXEC ('CREATE SCHEMA gold');
GO
