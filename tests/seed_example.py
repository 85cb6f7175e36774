"""The example of Amplifier's Session API page (the seed document), as a notebook runs it.

The plan as written there; its ``asyncio.run(main())`` becomes ``await main()`` in a cell.
"""

SEED_CONFIG = """\
config = {
    "session": {
        "orchestrator": "loop-basic",
        "context": "context-simple"
    },
    "providers": [{
        "module": "provider-anthropic",
        "source": "git+https://github.com/microsoft/amplifier-module-provider-anthropic@main",
        "config": {"model": "claude-sonnet-4-5"}
    }],
    "tools": []
}
"""

SEED_MAIN = """\
import asyncio
from amplifier_core import AmplifierSession

async def main():
    async with AmplifierSession(config=config) as session:
        response = await session.execute("What is 2 + 2?")
        print(response)

await main()
"""
