"""Corporate directory login: LDAP / Active Directory, or the embedded demo directory."""

from __future__ import annotations

from flask import Flask, current_app

from intranet.errors import render_error
from intranet.extensions import db
from intranet.mail import GROUP_RESOLVER, RecipientsUnavailable

from .base import Directory, DirectoryUnavailable
from .services import RoleRules, group_addresses


def init_app(app: Flask) -> None:
    """Pick the directory for this app and register the login views and commands."""
    from . import cli, demo, generate_cli, views

    if app.config["DIRECTORY"] == "demo":
        for key, value in demo.ROLE_CONFIG.items():
            if not app.config.get(key):
                app.config[key] = value
        directory: Directory = demo.DemoDirectory()
    else:
        from .directory import LdapDirectory, LdapSettings

        directory = LdapDirectory(LdapSettings.from_config(app.config))
    app.extensions["ting.directory"] = directory
    app.extensions["ting.role_rules"] = RoleRules.from_config(app.config)
    app.register_blueprint(views.bp)
    app.register_error_handler(DirectoryUnavailable, _directory_down)
    app.extensions.setdefault("ting.health", {})["directory"] = _directory_answers
    app.extensions[GROUP_RESOLVER] = _group_addresses
    app.cli.add_command(cli.directory_cli)
    cli.demo_cli.add_command(generate_cli.generate_command)
    app.cli.add_command(cli.demo_cli)


def get_directory() -> Directory:
    return current_app.extensions["ting.directory"]


def role_rules() -> RoleRules:
    return current_app.extensions["ting.role_rules"]


def _group_addresses(dn: str) -> list[str]:
    """Mail's group resolver: the directory being down is RecipientsUnavailable to the caller."""
    try:
        return group_addresses(get_directory(), dn)
    except DirectoryUnavailable as exc:
        raise RecipientsUnavailable(f"the directory could not list the members of {dn}") from exc


def _directory_down(exc: DirectoryUnavailable) -> tuple[str, int]:
    db.session.rollback()
    return render_error(503)


def _directory_answers() -> bool:
    try:
        get_directory().check()
    except DirectoryUnavailable:
        return False
    return True
