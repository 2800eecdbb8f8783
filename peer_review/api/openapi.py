"""The OpenAPI 3 document, generated from the endpoints' docstrings and marshmallow schemas."""
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app, jsonify

from . import bp


def build_spec() -> dict:
    spec = APISpec(
        title="Safer Cities workbench API", version="1.0.0", openapi_version="3.0.3",
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        info={"description": "Personal API tokens (Bearer) from your account page or "
                             "`flask --app wsgi users token EMAIL`. Errors are "
                             "{\"error\": {\"code\", \"message\", \"fields\"}}."},
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            spec.path(view=current_app.view_functions[rule.endpoint], app=current_app)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_spec())
