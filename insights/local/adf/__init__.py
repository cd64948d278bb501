"""The local executor's Azure Data Factory support: the expression language (``expressions``), its
functions (``functions``) and the .NET date/time behaviour they rely on (``dotnet_datetime``)."""
