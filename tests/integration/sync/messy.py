"""A deterministic messy sheet with exactly known outcomes (scenario 1): the same people written
differently, blanks, bad e-mails, non-numeric budgets."""

from __future__ import annotations

import random
from dataclasses import dataclass

HEADERS = ["Имя", "Телефон", "Email", "Бюджет", "Статус"]
FIRST = ["Иван", "Olga", "Пётр", "Anna", "Сергей", "Maria", "Дмитрий", "Elena", "Алексей", "John"]
LAST = ["Петров", "Smirnova", "Иванов", "Brown", "Кузнецов", "Lee", "Попова", "Garcia", "Соколов", "Kim"]


@dataclass
class Messy:
    rows: list[list]
    leads: int  # rows that must become leads
    contacts: int  # distinct people among them
    errors: int  # rows that must be explained, not synced


def phone_variants(n: int) -> tuple[str, str]:
    digits = f"912{n:07d}"
    return (
        f"8 {digits[:3]} {digits[3:6]}-{digits[6:8]}-{digits[8:]}",
        f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:]}",
    )


def messy(total: int = 1000, seed: int = 7) -> Messy:
    """Rows in five groups (by share of `total`): people once, the same people again written
    differently, phone-only people, bad e-mails, bad budgets, and blank rows; then shuffled."""
    rnd = random.Random(seed)
    unique = total * 60 // 100
    dupes = total * 10 // 100
    phone_only = total * 15 // 100
    bad_email = total * 5 // 100
    bad_budget = total * 5 // 100
    blank = total - unique - dupes - phone_only - bad_email - bad_budget
    rows: list[list] = []

    def name(i: int) -> str:
        return f"{FIRST[i % 10]} {LAST[(i // 10) % 10]} {i}"

    for i in range(unique):
        a, _ = phone_variants(i)
        rows.append([name(i), a, f"Person{i}@Example.RU", str(1000 + i), ""])
    for i in range(dupes):  # the same person: other phone format, other e-mail case
        _, b = phone_variants(i)
        rows.append([name(i), b, f"person{i}@example.ru", f"{2000 + i:,}".replace(",", " "), ""])
    for i in range(unique, unique + phone_only):
        a, _ = phone_variants(i)
        rows.append([name(i), a, "", "", ""])
    for i in range(unique + phone_only, unique + phone_only + bad_email):
        rows.append([name(i), "", f"person{i}@", "500", ""])
    for i in range(unique + phone_only + bad_email, unique + phone_only + bad_email + bad_budget):
        rows.append([name(i), "", f"p{i}@example.ru", rnd.choice(["дорого", "n/a", "12.5.3"]), ""])
    rows += [["", "", "", "", ""] for _ in range(blank)]
    rnd.shuffle(rows)
    return Messy(
        rows, leads=unique + dupes + phone_only, contacts=unique + phone_only, errors=bad_email + bad_budget
    )
