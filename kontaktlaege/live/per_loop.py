"""Process-wide state of the socket side, one per event loop: a server has one loop, the
tests have many, and asyncio objects must not cross between loops."""

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    def __init__(self, factory: Callable[[], T]) -> None:
        self.factory = factory
        self.made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self) -> T:
        loop = asyncio.get_running_loop()
        if loop not in self.made:
            self.made[loop] = self.factory()
        return self.made[loop]
