"""The one home of jinja2: report and prompt templates, overridable per project.

A project can override any shipped template by putting a file of the same name
in the folder named by ``paths.templates`` in goldset.yaml.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldset import resources
from goldset.errors import ConfigError

if TYPE_CHECKING:
    import jinja2


def environment(override: Path | None = None) -> jinja2.Environment:
    import jinja2

    search: list[str] = []
    if override is not None:
        if not override.is_dir():
            raise ConfigError(f"paths.templates: {override} is not a folder")
        search.append(str(override))
    search.append(str(resources.root("templates")))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # markdown, not HTML: untrusted text goes through markdown_safe
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(name: str, context: dict[str, Any], *, override: Path | None = None) -> str:
    """Render the template ``name`` (e.g. ``report.md.j2``) with ``context``."""
    import jinja2

    env = environment(override)
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(
            f"{exc.filename or name}:{exc.lineno}: template error: {exc.message}"
        ) from None
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"{name}: template uses an undefined value: {exc.message}") from None


def compile_string(source: str, *, name: str = "<template>") -> Callable[[dict[str, Any]], str]:
    """A template given as text (prompt templates), compiled once per process.

    Same settings as the shipped template files; errors become ConfigErrors
    naming the template and line.
    """
    template = _compiled(source, name)

    def render(context: dict[str, Any]) -> str:
        import jinja2

        try:
            return template.render(**context)
        except jinja2.UndefinedError as exc:
            raise ConfigError(f"{name}: template uses an undefined value: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise ConfigError(f"{name}: template error: {exc}") from None

    return render


@functools.lru_cache(maxsize=256)
def _compiled(source: str, name: str) -> jinja2.Template:
    import jinja2

    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{name}:{exc.lineno}: template error: {exc.message}") from None


def render_string(source: str, context: dict[str, Any], *, name: str = "<template>") -> str:
    """Render a template given as text (prompt templates from goldset.yaml)."""
    return compile_string(source, name=name)(context)
