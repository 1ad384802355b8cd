"""Regenerate `leads.csv`: ~500 deterministic, realistically messy deal rows in Russian and English.

    python -m sandbox.data.generate            # rewrites sandbox/data/leads.csv

What a real sales sheet holds: people written two ways (phone formats, e-mail case, extra spaces), blank
rows, budgets as "150 000 ₽" or "1,200,000", statuses typed by hand (some unknown to amoCRM), a few bad
e-mails and phones, notes with commas, quotes and line breaks. The headers are the ones the backend's
mapping suggestion recognises (Сделка, Имя, Телефон, Email, Бюджет, Статус) plus custom fields of the
seeded amoCRM account (Source, Должность) and a free-text column that stays unmapped.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADERS = ["Сделка", "Имя", "Телефон", "Email", "Бюджет", "Статус", "Source", "Должность", "Комментарий"]

RU_MEN = ["Иван", "Пётр", "Сергей", "Дмитрий", "Алексей", "Михаил", "Андрей"]
RU_WOMEN = ["Ольга", "Анна", "Мария", "Елена", "Наталья", "Татьяна", "Ирина"]
RU_LAST = {"Петров": "petrov", "Смирнов": "smirnov", "Иванов": "ivanov", "Кузнецов": "kuznetsov",
           "Соколов": "sokolov", "Попов": "popov", "Лебедев": "lebedev", "Козлов": "kozlov"}  # fmt: skip
EN_FIRST = ["John", "Emma", "Oliver", "Sophia", "James", "Mia", "Liam", "Ava"]
EN_LAST = ["Brown", "Smith", "Garcia", "Miller", "Wilson", "Taylor", "Clark", "Lee"]
COMPANIES = ["ООО «Ромашка»", "Вектор", "АО Северсталь-Сервис", "Acme Ltd", "Globex", "ИП Сидоров",
             "Umbrella Corp", "Техносила", "Northwind", "СтройМаш", "BlueSky Travel",
             "Пекарня №5"]  # fmt: skip
WHAT = ["Поставка оборудования", "Годовой контракт", "Разработка сайта", "Website redesign", "CRM rollout",
        "Аренда склада", "Консалтинг", "Support renewal", "Пилотный проект", "Training"]  # fmt: skip
STATUSES = ["", "", "", "Первичный контакт", "Переговоры", "переговоры ", "Принимают решение"]
SOURCES = ["", "Website", "Phone call", "Spreadsheet", "website"]
POSITIONS = ["", "", "Директор", "CEO", "менеджер по закупкам", "Head of Sales", "бухгалтер"]
NOTES = ["", "", "", "перезвонить после 15:00", 'просит КП "под ключ"', "met at the expo, warm lead",
         "VIP, скидка 10%", "второй контакт: +7 916 000-00-00",
         "ждёт счёт,\nоплата в конце месяца"]  # fmt: skip
TRASH_EMAILS = ["ivan@", "olga.mail.ru", "anna@@example.com", "no email", "john@example"]
TRASH_BUDGETS = ["дорого", "n/a", "12.5.3", "~100k"]


def phone(rnd: random.Random) -> str:
    d = f"9{rnd.randint(100_000_000, 999_999_999)}"
    return rnd.choice(
        [
            f"+7 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}",
            f"8 ({d[:3]}) {d[3:6]} {d[6:8]} {d[8:]}",
            f"8{d}",
            f"+7{d}",
            f"{d[:3]}-{d[3:6]}-{d[6:8]}-{d[8:]}",
        ]
    )


def budget(rnd: random.Random) -> str:
    amount = rnd.choice([15, 30, 45, 75, 120, 150, 240, 500, 1200]) * 1000
    return rnd.choice(
        [str(amount), f"{amount:,}".replace(",", " "), f"{amount:,}", f"{amount:,} ₽".replace(",", " "), ""]
    )


def person(rnd: random.Random, i: int) -> tuple[str, str]:
    if i % 3 == 2:
        first, last = rnd.choice(EN_FIRST), rnd.choice(EN_LAST)
        return f"{first} {last}", f"{first}.{last}{i}@example.com"
    last = rnd.choice(list(RU_LAST))
    woman = rnd.random() < 0.5
    first, last_name = rnd.choice(RU_WOMEN if woman else RU_MEN), last + ("а" if woman else "")
    mail = f"{RU_LAST[last]}{'a' if woman else ''}{i}@{rnd.choice(['Mail.RU', 'yandex.ru', 'gmail.com'])}"
    return rnd.choice([f"{first} {last_name}", f"{last_name} {first}"]), mail


def rows(total: int = 500, seed: int = 2024) -> list[list[str]]:
    rnd = random.Random(seed)
    out: list[list[str]] = []
    people: list[tuple[str, str, str]] = []
    for i in range(total):
        r = rnd.random()
        if r < 0.04:
            out.append([""] * len(HEADERS))  # a blank row
            continue
        if r < 0.12 and people:  # the same person again, written differently
            name, mail, tel = rnd.choice(people)
            name, mail, tel = "  " + name.upper(), mail.lower(), phone(rnd)
        else:
            name, mail = person(rnd, i)
            tel = phone(rnd) if rnd.random() > 0.1 else ""
            people.append((name, mail, tel))
        if rnd.random() < 0.03:
            mail = rnd.choice(TRASH_EMAILS)
        elif rnd.random() < 0.15:
            mail = ""
        money = rnd.choice(TRASH_BUDGETS) if rnd.random() < 0.02 else budget(rnd)
        status = "Думают" if rnd.random() < 0.01 else rnd.choice(STATUSES)
        deal = f"{rnd.choice(WHAT)} — {rnd.choice(COMPANIES)}"
        out.append(
            [
                deal,
                name,
                tel,
                mail,
                money,
                status,
                rnd.choice(SOURCES),
                rnd.choice(POSITIONS),
                rnd.choice(NOTES),
            ]
        )
    return out


def main() -> None:
    with open(HERE / "leads.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(rows())


if __name__ == "__main__":
    main()
