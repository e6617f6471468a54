"""A web worker as gunicorn makes one, in its own process: `python -m tests.config.web_worker
EMAIL PASSWORD ORDER_NUMBER` with the production variables. It loads config.wsgi (django.setup()
and the production checks), logs in through the portal's form and serves the customer's pages by
calling the WSGI application itself, then prints one JSON line: the statuses answered and the
modules the process holds. Standard library only besides the application: what the worker
imports is the application's doing."""

import io
import json
import sys
from http.cookies import SimpleCookie
from urllib.parse import urlencode

HOST = "returns.shop.example"


class Browser:
    def __init__(self, application):
        self.application = application
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> str:
        body = urlencode(form).encode() if form else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": HOST,
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": HOST,
            # Behind an HTTPS proxy, as in production (SECURE_PROXY_SSL_HEADER).
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_REFERER": f"https://{HOST}{path}",
            "HTTP_ACCEPT_LANGUAGE": "en",
            "HTTP_COOKIE": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        answered = []

        def start_response(status, headers, exc_info=None):
            answered.append(status)
            for name, value in headers:
                if name.lower() == "set-cookie":
                    for cookie in SimpleCookie(value).values():
                        self.cookies[cookie.key] = cookie.value

        b"".join(self.application(environ, start_response))
        return answered[0].split()[0]


def main(email: str, password: str, order_number: str) -> None:
    from config.wsgi import application

    browser = Browser(application)
    statuses = [browser.request("GET", "/login/")]
    form = {"username": email, "password": password}
    form["csrfmiddlewaretoken"] = browser.cookies["csrftoken"]
    statuses.append(browser.request("POST", "/login/", form))
    statuses.append(browser.request("GET", "/orders/"))
    statuses.append(browser.request("GET", f"/orders/{order_number}/"))
    print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
