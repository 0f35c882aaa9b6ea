"""The new-run form, by part: template, what the executor is asked (its options),
configuration fields, sweep."""
