"""The reliability and security suite (issue 8): properties, delivery faults, malformed input, IAM."""
