"""Silver -> gold: one module per gold table (pure transforms), and the job that writes them incrementally."""

# The silver tables gold reads, and the gold tables it writes.
SOURCES = ("sales_order_detail", "sales_order_header", "customer", "product", "product_category")
GOLD_TABLES = ("fct_sales", "agg_daily_sales", "dim_customer", "dim_product", "dim_date")
