"""(filled in by the messaging work)"""


def register(router) -> None:
    pass
