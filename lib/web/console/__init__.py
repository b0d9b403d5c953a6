"""The collections desk in the browser: server-rendered pages (Jinja2), fragments for lists, vendored htmx."""
