"""API shapes of rubric versions. Texts are objects by language ({"en", "es", "fr"}), as in the files."""
from marshmallow import Schema, fields

from ..api.schemas import PageSchema


def _text():
    return fields.Dict(keys=fields.String(), values=fields.String())


class ScaleLevelSchema(Schema):
    level = fields.Integer()
    name = _text()


class LevelSchema(Schema):
    level = fields.Integer()
    descriptor = _text()


class CriterionSchema(Schema):
    id = fields.String()
    title = _text()
    guidance = _text()
    evidence_expected = _text()
    proxies = _text()
    indicator = fields.String()
    tier = fields.String(metadata={"enum": ["core", "local"]})
    levels = fields.List(fields.Nested(LevelSchema))


class SectionSchema(Schema):
    id = fields.String()
    title = _text()
    guidance = _text()
    criteria = fields.List(fields.Nested(CriterionSchema))


def _ref(version):
    return f"{version.rubric_id}@{version.version}" if version is not None else None


class RubricVersionSchema(Schema):
    id = fields.Integer()
    ref = fields.Function(_ref, metadata={"description": "rubric@version, as cycles name it: core@1.0"})
    rubric_id = fields.String()
    version = fields.String()
    title = _text()
    description = fields.Function(lambda v: (v.content or {}).get("description"))
    content_hash = fields.String(metadata={"description": "SHA-256 of the content's canonical JSON"})
    extends = fields.Function(lambda v: _ref(v.extends), allow_none=True)
    supersedes = fields.Function(lambda v: _ref(v.supersedes), allow_none=True)
    loaded_at = fields.DateTime()
    in_use = fields.Method("get_in_use", metadata={"description": "A cycle uses it: its content never changes"})

    def get_in_use(self, version) -> bool:
        if getattr(self, "_used", None) is None:  # once per dump, not once per item
            from .operations import versions_in_use
            self._used = versions_in_use()
        return version.id in self._used


class RubricVersionDetailSchema(RubricVersionSchema):
    scale = fields.List(fields.Nested(ScaleLevelSchema), metadata={"description": "Inherited by an extension"})
    sections = fields.List(fields.Nested(SectionSchema),
                           metadata={"description": "An extension's criteria merged into its core's sections"})


class RubricVersionPageSchema(PageSchema):
    items = fields.List(fields.Nested(RubricVersionSchema))
