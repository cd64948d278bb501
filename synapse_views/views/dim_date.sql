-- gold.dim_date: one row per calendar date; weeks start on Monday (ISO).
CREATE OR ALTER VIEW gold.dim_date AS
SELECT
    cal.[date],
    cal.[year],
    cal.[quarter],
    cal.[month],
    cal.month_name,
    cal.week_start,
    cal.day_of_week
FROM OPENROWSET(
    BULK 'dim_date/',
    DATA_SOURCE = 'gold_lake',
    FORMAT = 'DELTA'
) WITH (
    [date] DATE,
    [year] INT,
    [quarter] INT,
    [month] INT,
    month_name VARCHAR(20),
    week_start DATE,
    day_of_week INT
) AS cal;
