"""Sala's bundled plugins. Each is found through the `sala.plugins` entry point group, exactly
as a partner's plugin would be; the core never imports them."""
