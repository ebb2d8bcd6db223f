"""Durable jobs: the queue, the run of one check, the executors it runs in, the worker."""
