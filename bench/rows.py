"""Sheet rows for benchmarks: N new people, each a distinct contact with a phone, an e-mail and a
budget — every row becomes one contact and one lead, so the floor is 2·⌈N/250⌉ amoCRM writes."""

from __future__ import annotations

from collections.abc import Iterator

FIRST = ["Иван", "Olga", "Пётр", "Anna", "Сергей", "Maria", "Дмитрий", "Elena", "Алексей", "John"]
LAST = ["Петров", "Smirnova", "Иванов", "Brown", "Кузнецов", "Lee", "Попова", "Garcia", "Соколов", "Kim"]


def row(i: int) -> list[str]:
    digits = f"9{i:09d}"
    return [
        f"{FIRST[i % 10]} {LAST[(i // 10) % 10]} {i}",
        f"8 {digits[:3]} {digits[3:6]}-{digits[6:8]}-{digits[8:]}",
        f"person{i}@example.ru",
        str(1000 + i % 90_000),
        "",
    ]


def new_rows(n: int, start: int = 0) -> list[list[str]]:
    return [row(i) for i in range(start, start + n)]


def chunks(n: int, size: int, start: int = 0) -> Iterator[list[list[str]]]:
    for s in range(start, start + n, size):
        yield new_rows(min(size, start + n - s), s)
