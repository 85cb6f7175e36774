"""placeholder"""


async def mount(coordinator, config=None):
    raise NotImplementedError
