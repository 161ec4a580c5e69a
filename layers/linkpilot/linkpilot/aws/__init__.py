"""AWS adapters: one small module per service and side, each the only place its boto3 calls live."""
