"""The run detail, by part: metadata and activity, failure, progress, chart, resources,
configuration and timeline."""
