"""The public REST API (contract: ../shared/design/API.md)."""
