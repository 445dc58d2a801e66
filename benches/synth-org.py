#!/usr/bin/env python3
"""Writes a synthetic organisation for benchmarks: N departments x M contacts,
topics, hours in several time zones, closures, away periods, unpublished
addresses and non-ASCII names. Deterministic for a given seed.

    python3 benches/synth-org.py --departments 1000 --contacts 10 --seed 1 /tmp/org
    python3 benches/synth-org.py --languages en,de,ar /tmp/org   # one tree per language
"""
import argparse
import os
import random
import shutil

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo", "Africa/Nairobi"]
FIRST = ["Anaïs", "Jörg", "Siobhán", "Łukasz", "Zoë", "Mateus", "Chloé", "Dilan", "Tomás", "Ingrid", "Kenji", "Priya", "Émile", "Sofía", "Ngozi", "Björn"]
LAST = ["Dubois", "Schäfer", "O'Connor", "Nowak", "Lindqvist", "Conceição", "Tremblay", "Yıldız", "Ó Briain", "Åberg", "Watanabe", "Raman", "Gagnon", "Peña", "Okafor", "Müller"]
LANGS = ["en", "de", "fr", "es", "pt", "ja", "sv", "pl", "tr"]


def toml_str(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--languages", default="en",
                        help="comma-separated languages the site is published in, the default first")
    parser.add_argument("out")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    content = os.path.join(args.out, "content")
    if os.path.exists(content):
        shutil.rmtree(content)
    os.makedirs(os.path.join(content, "departments"))
    os.makedirs(os.path.join(content, "pages"))

    languages = [code.strip() for code in args.languages.split(",") if code.strip()]
    site_languages = (f"language = {toml_str(languages[0])}" if len(languages) == 1
                      else f"languages = [{', '.join(toml_str(code) for code in languages)}]")
    with open(os.path.join(content, "site.toml"), "w", encoding="utf-8") as f:
        f.write(f"""[site]
title = "Synthetic Org ({args.departments} departments)"
base_url = "https://contact.synthetic.example"
{site_languages}

[organization]
name = "Synthetic Org"
phone = "+49 30 5550 0000"

[form]
endpoint = "https://api.synthetic.example/contact"
""")

    topics = []
    for d in range(args.departments):
        dept_id = f"dept-{d:05d}"
        zone = ZONES[d % len(ZONES)]
        lines = [
            f"id = {toml_str(dept_id)}",
            f"name = {toml_str(f'Department {d} — {rng.choice(LAST)}')}",
            f"summary = {toml_str(f'Handles area {d} for customers in several regions.')}",
            f"inbox = {toml_str(f'{dept_id}@synthetic.example')}",
            f"publish_inbox = {'true' if d % 3 else 'false'}",
            f"cc_inbox = {'true' if d % 4 == 0 else 'false'}",
            f'phone = "+49 30 {5550000 + d:07d}"',
            f"languages = [{', '.join(toml_str(l) for l in rng.sample(LANGS, 2))}]",
            "",
            "[hours]",
            f"timezone = {toml_str(zone)}",
            'weekdays = "08:30-12:30, 13:30-17:00"',
            'friday = "08:30-14:00"' if d % 2 else 'saturday = "10:00-13:00"',
            'after_hours = "backup"' if d % 5 == 0 else 'after_hours = "primary"',
            "",
            "[[hours.closures]]",
            'name = "Year end"',
            "from = 2026-12-24",
            "until = 2026-12-31",
        ]
        for c in range(args.contacts):
            contact_id = f"c-{d:05d}-{c:02d}"
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            lines += [
                "",
                "[[contacts]]",
                f"id = {toml_str(contact_id)}",
                f"name = {toml_str(name)}",
                f"role = {toml_str(f'Specialist {c}')}",
                f"email = {toml_str(f'{contact_id}@synthetic.example')}",
                f"publish_email = {'true' if c % 3 else 'false'}",
                f'phone = "+49 30 {6000000 + d * 100 + c:08d}"',
                f"languages = [{toml_str(rng.choice(LANGS))}]",
            ]
            if c + 1 < args.contacts:
                lines.append(f'backup = "c-{d:05d}-{c + 1:02d}"')
            if c == 0 and d % 7 == 0:
                lines.append("away = [{ from = 2026-08-01, until = 2026-08-21 }]")
            if c == 0:
                lines.append(f"bio = {toml_str(f'Leads **department {d}**.')}")
        with open(os.path.join(content, "departments", f"{dept_id}.toml"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        topics.append((f"topic-{d:05d}", f"Questions for department {d}", dept_id))

    with open(os.path.join(content, "topics.toml"), "w", encoding="utf-8") as f:
        for topic_id, label, dept_id in topics:
            f.write(f"[[topic]]\nid = {toml_str(topic_id)}\nlabel = {toml_str(label)}\ndepartment = {toml_str(dept_id)}\n\n")

    with open(os.path.join(content, "pages", "about.md"), "w", encoding="utf-8") as f:
        f.write('+++\ntitle = "About"\nmenu = 1\n+++\nA synthetic organisation for benchmarks.\n')


if __name__ == "__main__":
    main()
