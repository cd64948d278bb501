-- database: master
-- The serverless database of the serving layer. Runs on `master`, before every other script.
--
-- Latin1_General_100_BIN2_UTF8: Delta stores text as UTF-8; with a UTF-8 collation VARCHAR columns hold
-- it without conversion (and without the "potential conversion error" warnings of other collations),
-- and BIN2 compares and sorts by code point, as DuckDB does locally, so a filter on a category or a
-- gender selects the same rows on both platforms.
IF DB_ID($(databaseName)) IS NULL
    CREATE DATABASE $(database) COLLATE Latin1_General_100_BIN2_UTF8;
