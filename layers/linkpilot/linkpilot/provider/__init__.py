"""The provider wing: the declared consumer list, its plan, and the onboarding service."""
