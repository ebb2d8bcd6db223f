"""The HTTP routes: one router per resource, mapping requests to the services."""
