from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Create a staff superuser with the password in "
        "DJANGO_SUPERUSER_PASSWORD, unless that user exists already. "
        "Meant for demo and development set-ups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not password:
            raise CommandError("Set DJANGO_SUPERUSER_PASSWORD to the password.")
        users = get_user_model()._default_manager
        username = options["username"]
        if users.filter(username=username).exists():
            self.stdout.write(f"User {username} exists; left as it is.")
            return
        users.create_superuser(
            username=username, email=options["email"], password=password
        )
        self.stdout.write(f"Created superuser {username}.")
