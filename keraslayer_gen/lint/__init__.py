"""The static contract lint: the driver, the module model, and the checks by id."""
