"""What the tests share: paths, builders of test data and fakes of the Azure side. Imported as
`tests.support.<module>` from any test (pytest runs with `--import-mode=importlib`)."""
