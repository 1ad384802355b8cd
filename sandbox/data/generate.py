"""Generate `leads.csv`: a realistic, messy sales sheet (Russian and English), and `leads.expected.json`:
what a correct sync of it must produce, counted by construction — not by running the product.

    python -m sandbox.data.generate            # writes both files next to this script (deterministic)

The mess, on purpose: one person on two rows written differently (`8 912 …` vs `+7 (912) …`,
`Foo@X.ru` vs `foo@x.ru`, `Иван Петров` vs `  ИВАН ПЕТРОВ`), deal names, job titles, notes with commas,
quotes and line breaks, phones in five formats, budgets as `15 000 ₽`, `15,000`, `$1,200`, stage
names in any case and with a Latin letter hidden in a Cyrillic word, blank rows, and rows that must be
refused with a reason (a bad e-mail, a budget that is not a number, a stage that does not exist).
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
HEADERS = ["Сделка", "Имя", "Телефон", "Email", "Бюджет", "Статус", "Source", "Должность", "Комментарий"]
FIRST_RU = ["Иван", "Ольга", "Пётр", "Анна", "Сергей", "Мария", "Дмитрий", "Елена", "Алексей", "Наталья"]
LAST_RU = ["Петров", "Смирнова", "Иванов", "Кузнецова", "Соколов", "Попова", "Лебедев", "Козлова", "Новиков",
           "Морозова"]  # fmt: skip
FIRST_EN = ["John", "Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Mia", "Lucas", "Sophia"]
LAST_EN = ["Brown", "Smith", "Garcia", "Miller", "Davis", "Wilson", "Moore", "Taylor", "Lee", "Clark"]
STAGES = ["Первичный контакт", "переговоры", "ПРИНИМАЮТ РЕШЕНИЕ", "Согласование договора", "Пepеговоры", ""]
SOURCES = ["Website", "phone call", "Spreadsheet", "", ""]
POSITIONS = ["", "", "Директор", "CEO", "менеджер по закупкам", "Head of Sales", "бухгалтер"]
COMPANIES = ["ООО «Ромашка»", "Вектор", "АО Северсталь-Сервис", "Acme Ltd", "Globex", "ИП Сидоров",
             "Northwind", "СтройМаш", "BlueSky Travel", "Пекарня №5"]  # fmt: skip
WHAT = ["Поставка оборудования", "Годовой контракт", "Разработка сайта", "Website redesign", "CRM rollout",
        "Аренда склада", "Консалтинг", "Support renewal", "Пилотный проект", "Training"]  # fmt: skip
COMMENTS = ["перезвонить после 15:00", "wants a discount", "", "", "VIP, скидка 10%", 'просит КП "под ключ"',
            "met at the expo, warm lead", "ждёт счёт,\nоплата в конце месяца"]  # fmt: skip


def phone(n: int, fmt: int) -> str:
    d = f"9{(n * 7919) % 1000000000:09d}"  # distinct 10-digit mobile numbers
    return [
        f"8 {d[:3]} {d[3:6]}-{d[6:8]}-{d[8:]}",
        f"+7 ({d[:3]}) {d[3:6]}-{d[6:]}",
        f"+7{d}",
        f"8{d}",
        f"{d[:3]}-{d[3:6]}-{d[6:]}",
    ][fmt % 5]


def budget(rnd: random.Random) -> str:
    n = rnd.randrange(5, 500) * 1000
    spaced = f"{n:,}".replace(",", " ") + " ₽"
    return rnd.choice([spaced, f"{n:,}", str(n), f"{n} руб.", f"${n // 100:,}", ""])


def generate(total: int = 500, seed: int = 2026) -> tuple[list[list[str]], dict]:
    rnd = random.Random(seed)
    rows: list[list[str]] = []
    people = int(total * 0.76)
    again = int(total * 0.08)  # the same people again, written differently
    bad = {"email": int(total * 0.04), "budget": int(total * 0.03), "stage": int(total * 0.03)}
    blank = total - people - again - sum(bad.values())

    def person(i: int) -> tuple[str, str]:
        if i % 3 == 0:
            first, last = FIRST_EN[i % 10], LAST_EN[(i // 10) % 10]
            return f"{first} {last}", f"{first}.{last}{i}@Example.com"
        return f"{FIRST_RU[i % 10]} {LAST_RU[(i // 10) % 10]}", f"client{i}@Mail.RU"

    def row(i: int, fmt: int, email: str | None = None) -> list[str]:
        name, mail = person(i)
        deal = f"{rnd.choice(WHAT)} — {rnd.choice(COMPANIES)}"
        return [deal, name, phone(i, fmt), mail if email is None else email, budget(rnd), rnd.choice(STAGES),
                rnd.choice(SOURCES), rnd.choice(POSITIONS), rnd.choice(COMMENTS)]  # fmt: skip

    for i in range(people):
        r = row(i, rnd.randrange(5))
        if i % 11 == 0:
            r[3] = ""  # some people have only a phone
        rows.append(r)
    for i in range(again):  # same person: another phone format, e-mail in another case, another deal
        r = row(i * 3 + 1, rnd.randrange(5))
        r[1] = "  " + r[1].upper() if i % 2 else r[1]  # the name typed differently too
        r[3] = r[3].lower()
        rows.append(r)
    base = people
    for i in range(bad["email"]):
        rows.append(row(base + i, 0, email=rnd.choice(["ivan@", "@mail.ru", "anna..b@x.ru", "no email"])))
    base += bad["email"]
    for i in range(bad["budget"]):
        r = row(base + i, 1)
        r[4] = rnd.choice(["дорого", "по запросу", "n/a"])
        rows.append(r)
    base += bad["budget"]
    for i in range(bad["stage"]):
        r = row(base + i, 2)
        r[5] = rnd.choice(["В работе", "Closed?"])
        rows.append(r)
    rows += [[""] * len(HEADERS) for _ in range(blank)]
    rnd.shuffle(rows)
    expected = {
        "rows": total,
        "leads": people + again,
        "contacts": people,
        "errors": sum(bad.values()),
        "blank": blank,
        "same_person_twice": again,
    }
    return rows, expected


def main() -> None:
    rows, expected = generate()
    with open(HERE / "leads.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        w.writerows(rows)
    (HERE / "leads.expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    print(f"wrote {len(rows)} rows to sandbox/data/leads.csv; expected: {expected}")


if __name__ == "__main__":
    main()
