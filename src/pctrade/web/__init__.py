"""The web application (issue 16): server-rendered pages in Chinese and English.

``create_web(app)`` (``web.app``) builds a FastAPI app of its own over the bootstrap
App, which ``api.app.create_app`` mounts at ``/web``. Pages read and write only through
the contexts' services and queries, the same ones the API's routes call:

- ``i18n`` chooses the locale (``?lang=`` → cookie → Accept-Language → zh) and compiles
  the Babel catalogues under ``locale/`` when the app is built;
- ``formatting`` holds the locale-aware filters (grams, yuan, prices, dates, bps);
- ``templating`` renders a template in the request's locale;
- ``session`` signs people in through the identity context (an HttpOnly cookie);
- ``forms`` puts a CSRF token and an idempotency key in every form and checks them;
- ``charts`` draws an ECharts chart with its data as a table beside it;
- ``vendor`` serves ECharts and axe-core from ``node_modules`` (npm, never a CDN);
- ``pages`` lists the page modules (``PAGE_ROUTERS``).
"""
