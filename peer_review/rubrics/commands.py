"""`flask --app wsgi rubrics validate|load [PATHS...]`: check rubric files, and store them as versions."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..errors import ValidationFailed
from ..extensions import db
from . import operations as ops
from .files import is_work_file, read_rubric_file, rubric_files

rubrics_cli = AppGroup("rubrics", help="Check rubric files and load them as versions.")


def _paths(paths: tuple[str, ...]) -> list[Path]:
    """The files given (work files and the codebook skipped), or every rubric file under ``rubrics/``."""
    if not paths:
        root = Path("rubrics") if Path("rubrics").is_dir() else ops.ROOT / "rubrics"
        return rubric_files(root)
    chosen = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            # rubrics/ holds a folder per rubric; rubrics/core/ holds that rubric's versions
            chosen += rubric_files(path) or sorted(p for p in path.glob("*.yaml") if not is_work_file(p))
        elif is_work_file(path):
            click.echo(f"{given}: skipped (a work file or the codebook, not a rubric)", err=True)
        else:
            chosen.append(path)
    return chosen


def _shown(path: Path) -> str:
    return str(path)  # as given, so that the problems point where the person looked


def _base_first(paths: list[Path]) -> list[Path]:
    """Cores before the extensions that extend them, so that one `load` takes a whole folder."""
    import yaml

    def extends(path: Path) -> bool:
        try:
            head = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return False
        return isinstance(head, dict) and "extends" in head
    return sorted(paths, key=lambda p: (extends(p), str(p)))


@rubrics_cli.command("validate")
@click.argument("paths", nargs=-1)
def validate_command(paths):
    """Check rubric files (default: every rubrics/*/*.yaml); print each problem as `file: path: message`."""
    files = _paths(paths)
    if not files:
        raise click.ClickException("No rubric files found.")
    count = 0
    for path in files:
        _data, problems = read_rubric_file(_shown(path))
        for problem in problems:
            click.echo(str(problem))
        count += len(problems)
        if not problems:
            click.echo(f"{_shown(path)}: ok")
    if count:
        click.echo(f"{count} problem(s) in {len(files)} file(s).", err=True)
        sys.exit(1)


@rubrics_cli.command("load")
@click.argument("paths", nargs=-1)
def load_command(paths):
    """Check rubric files, then store each as a rubric version (a version already there with the same content is
    left as it is; a version in use never changes)."""
    files = _paths(paths)
    if not files:
        raise click.ClickException("No rubric files found.")
    failed = 0
    for path in _base_first(files):
        shown = _shown(path)
        known = {v.id for v in ops.all_versions()}
        try:
            version = ops.load_version(shown)
        except ValidationFailed as err:
            db.session.rollback()
            failed += 1
            for messages in err.fields.values():
                for message in messages:
                    click.echo(str(message))
            continue
        db.session.commit()
        if version.id in known:
            click.echo(f"{shown}: {version.label} already loaded (same content)")
        else:
            extra = f", extends {version.extends.label}" if version.extends else ""
            extra += f", supersedes {version.supersedes.label}" if version.supersedes else ""
            click.echo(f"{shown}: loaded {version.label} ({version.content_hash[:12]}{extra})")
    if failed:
        click.echo(f"{failed} file(s) not loaded.", err=True)
        sys.exit(1)
