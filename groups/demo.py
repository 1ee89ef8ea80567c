"""Demo content for `make run`: filled in below."""


def load_demo_content() -> None:
    return None
