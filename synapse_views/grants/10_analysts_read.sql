-- The analysts' Entra group reads the serving views and nothing else: a contained database user for the
-- group (no login, no password), SELECT on schema `gold` (the views), and REFERENCES on the credential,
-- which serverless requires of whoever queries a view over a credential-protected data source. The group
-- gets no role membership and no permission on the database itself.
IF DATABASE_PRINCIPAL_ID($(analystsGroupName)) IS NULL
    CREATE USER $(analystsGroup) FROM EXTERNAL PROVIDER;
GO

GRANT SELECT ON SCHEMA::[gold] TO $(analystsGroup);
GO

GRANT REFERENCES ON DATABASE SCOPED CREDENTIAL::[workspace_identity] TO $(analystsGroup);
GO
