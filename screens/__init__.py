"""Textual screens of the counter app, one module per screen, plus shared widgets.

Screens hold no SQL and no rules: they call ``counter_app.services`` from thread workers and
get the results back as messages."""
