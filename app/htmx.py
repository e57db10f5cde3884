"""htmx requests, one way: `request.htmx` (htmx-flask's headers object) is true when the
answer should be a fragment, and reading it is what marks an answer as one that differs
for htmx requests, so `Vary: HX-Request` is added here, once, for every such answer.

A history restore (htmx asks again for a page it pushed to the address bar and no longer
has) comes with HX-Request too, but wants the whole page: it counts as no htmx request."""

from flask import Request, request
from htmx_flask.requests import HtmxHeaders


class FragmentHeaders(HtmxHeaders):
    def __bool__(self):
        return super().__bool__() and not self.history_restore_request


class HtmxRequest(Request):
    # Set once the view (or an error page, or the page cache) asked whether this is htmx.
    varies_for_htmx = False

    @property
    def htmx(self):
        self.varies_for_htmx = True
        return FragmentHeaders(self.headers)


def vary_for_htmx(response):
    if request.varies_for_htmx:
        from .every_request import add_vary

        add_vary(response, "HX-Request")
    return response


class Htmx:
    """The extension: the app's requests get `request.htmx`; its answers the Vary header."""

    def init_app(self, app):
        app.request_class = HtmxRequest
        app.after_request(vary_for_htmx)
        app.extensions["htmx"] = self
