"""An attribute a panel or knob group shows as its own but that one of its parts holds.

``prompt = Forward[str]("knobs", "prompt")`` in a class body makes ``obj.prompt`` read ``obj.knobs.prompt``
and ``obj.prompt = v`` set it (the part checks the value: a knob's trait validation raises the request's
own :class:`~lumakit.errors.RequestError`). One descriptor instead of a property and a setter per knob.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

V = TypeVar("V")


class Forward(Generic[V]):
    """Read and set ``self.<part>.<name>`` as ``self.<attribute>``."""

    def __init__(self, part: str, name: str, doc: str = "") -> None:
        self.part, self.name = part, name
        self.__doc__ = doc or f"``{part}.{name}``, read and set through this attribute."

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Forward[V]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> V: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> Forward[V] | V:
        if obj is None:
            return self
        value: V = getattr(getattr(obj, self.part), self.name)
        return value

    def __set__(self, obj: object, value: Any) -> None:
        setattr(getattr(obj, self.part), self.name, value)

    def __repr__(self) -> str:
        return f"Forward({self.part!r}, {self.name!r})"
