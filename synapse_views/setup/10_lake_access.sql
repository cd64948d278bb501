-- How the views reach the lake: the workspace's managed identity (granted Storage Blob Data Reader on
-- the gold container by infra/), through a database-scoped credential and an external data source whose
-- location, the gold container's URL, is a deploy-time parameter. No key or SAS token exists anywhere.

-- A database-scoped credential needs a master key to protect it, even one without a secret.
IF NOT EXISTS (SELECT 1 FROM sys.symmetric_keys WHERE name = '##MS_DatabaseMasterKey##')
    CREATE MASTER KEY ENCRYPTION BY PASSWORD = $(masterKeyPassword);
GO

IF NOT EXISTS (SELECT 1 FROM sys.database_scoped_credentials WHERE name = 'workspace_identity')
    CREATE DATABASE SCOPED CREDENTIAL [workspace_identity] WITH IDENTITY = 'Managed Identity';
GO

-- Serverless cannot ALTER a data source: a redeploy that moves the lake drops and recreates it (views
-- are not schema-bound to it, so they stay and read the new location).
IF EXISTS (SELECT 1 FROM sys.external_data_sources WHERE name = 'gold_lake' AND location <> $(goldUrl))
    DROP EXTERNAL DATA SOURCE [gold_lake];
GO

IF NOT EXISTS (SELECT 1 FROM sys.external_data_sources WHERE name = 'gold_lake')
    CREATE EXTERNAL DATA SOURCE [gold_lake] WITH (LOCATION = $(goldUrl), CREDENTIAL = [workspace_identity]);
GO
