"""Fidelity suite (issue 12): what real AWS returns (public evidence); how the templates fit AWS limits."""
