"""Operating the Azure platform: the offline plan, deploy and destroy (the `insights plan`, `deploy`,
`destroy` commands), the Pulumi CLI wrapper and the one client layer through which every Azure call goes.
See docs/operations.md."""
