"""The consumer wing: trust policy, plan, the one reconcile, its report, and the controller function."""
