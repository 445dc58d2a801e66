#!/usr/bin/env python3
"""Checks a built Switchboard site's machine-readable output with parsers
that owe nothing to the builder: every vCard through `vobject`, every JSON-LD
block through `json`, both compared with the site's own content TOML (the
source of truth) rather than with what the builder believes it wrote.

Usage: check_standards.py SITE_DIR   (holding content/ and the built public/)

Prints one line per check and `N passed, N failed`; exits 1 on any failure.
"""

import glob
import json
import os
import re
import sys
import tomllib
from html.parser import HTMLParser

import vobject


class Checks:
    """Collects results so one run reports every problem, not just the first."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}")
        return ok

    def equal(self, got, want, what):
        return self.check(got == want, f"{what}: got {got!r}, want {want!r}")


def e164(phone):
    """`+49 30 5557 0100` (as editors write it) -> `+493055570100`."""
    return "+" + re.sub(r"\D", "", phone) if phone else None


def load_content(site):
    """The site's TOML: site.toml and every department with its contacts."""
    with open(os.path.join(site, "content", "site.toml"), "rb") as f:
        conf = tomllib.load(f)
    departments = []
    for path in sorted(glob.glob(os.path.join(site, "content", "departments", "*.toml"))):
        with open(path, "rb") as f:
            departments.append(tomllib.load(f))
    return conf, departments


class LdJsonBlocks(HTMLParser):
    """The text of every <script type="application/ld+json"> in a page."""

    def __init__(self):
        super().__init__()
        self.blocks = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        if tag == "script" and dict(attrs).get("type") == "application/ld+json":
            self._inside = True
            self.blocks.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.blocks[-1] += data


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def check_vcards(c, site, conf, departments):
    """Each contact's vCard reads back with the content's name, org, phone and
    (only when published) email."""
    org_name = conf["organization"]["name"]
    public = os.path.join(site, "public")
    expected = set()
    for dept in departments:
        for person in dept["contacts"]:
            cid = person["id"]
            expected.add(f"{cid}.vcf")
            path = os.path.join(public, "vcards", f"{cid}.vcf")
            if not c.check(os.path.isfile(path), f"{cid}: vCard {path} exists"):
                continue
            with open(path, "rb") as f:
                raw = f.read()
            try:
                card = vobject.readOne(raw.decode("utf-8"))
            except Exception as err:  # any parse failure is the finding
                c.check(False, f"{cid}: vobject parses the vCard ({err})")
                continue
            c.check(True, f"{cid}: vobject parses the vCard")
            c.check(b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), f"{cid}: vCard lines end with CRLF (RFC 6350 3.2)")
            c.equal(card.version.value, "4.0", f"{cid}: VERSION")
            c.equal(card.fn.value, person["name"], f"{cid}: FN")
            c.equal(card.org.value[0], org_name, f"{cid}: ORG organisation")
            c.equal(card.org.value[1:2], [dept["name"]], f"{cid}: ORG unit")
            if person.get("role"):
                c.equal(card.title.value, person["role"], f"{cid}: TITLE")
            emails = [e.value for e in card.contents.get("email", [])]
            want_emails = [person["email"]] if person.get("publish_email") else []
            c.equal(emails, want_emails, f"{cid}: EMAIL (published only)")
            tels = [re.sub(r"^tel:", "", t.value) for t in card.contents.get("tel", [])]
            want_tels = [e164(person["phone"])] if person.get("phone") else []
            c.equal(tels, want_tels, f"{cid}: TEL")
    found = {os.path.basename(p) for p in glob.glob(os.path.join(public, "vcards", "*.vcf"))}
    c.equal(sorted(found - expected), [], "vCards for no contact in the content")


def check_jsonld(c, site, conf, departments):
    """Every JSON-LD block parses; the home page's describes the Organization
    and its departments; each department's page describes the department
    (part of the Organization) with its ContactPoints."""
    public = os.path.join(site, "public")
    home = None
    department_pages = {}
    pages = sorted(glob.glob(os.path.join(public, "**", "*.html"), recursive=True))
    for page in pages:
        parser = LdJsonBlocks()
        with open(page, encoding="utf-8") as f:
            parser.feed(f.read())
        rel = os.path.relpath(page, public)
        for i, text in enumerate(parser.blocks):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as err:
                c.check(False, f"{rel}: JSON-LD block {i} parses ({err})")
                continue
            c.check(True, f"{rel}: JSON-LD block {i} parses")
            c.equal(data.get("@context"), "https://schema.org", f"{rel}: JSON-LD @context")
            if rel == "index.html" and data.get("@type") == "Organization":
                home = data
            parts = rel.split(os.sep)
            if len(parts) == 3 and parts[0] == "departments" and data.get("@type") == "Organization":
                department_pages[parts[1]] = data
    if not c.check(home is not None, "index.html: has a JSON-LD Organization"):
        return
    org = conf["organization"]
    c.equal(home.get("name"), org["name"], "Organization name")
    c.equal(home.get("telephone"), e164(org.get("phone")), "Organization telephone")
    c.equal(home.get("email"), org.get("email"), "Organization email")

    by_name = {d.get("name"): d for d in as_list(home.get("department"))}
    c.equal(sorted(by_name), sorted(d["name"] for d in departments), "Organization departments")
    for dept in departments:
        did = dept["id"]
        node = by_name.get(dept["name"])
        page = department_pages.get(did)
        if not c.check(page is not None, f"departments/{did}/: has a JSON-LD Organization"):
            continue
        c.equal(page.get("name"), dept["name"], f"{did}: department page's Organization name")
        c.equal((page.get("parentOrganization") or {}).get("name"), org["name"], f"{did}: parentOrganization")
        for where, n in (("home page", node), ("department page", page)):
            if n is None:
                continue
            c.equal(n.get("@type"), "Organization", f"{did}: department @type ({where})")
            c.equal(n.get("telephone"), e164(dept.get("phone")), f"{did}: department telephone ({where})")
            c.equal(n.get("email"), dept["inbox"] if dept.get("publish_inbox") else None,
                    f"{did}: department email, published only ({where})")
        points = as_list(page.get("contactPoint"))
        c.check(len(points) > 0 and all(p.get("@type") == "ContactPoint" for p in points), f"{did}: has ContactPoints")
        named = {p.get("name"): p for p in points if p.get("name")}
        for person in dept["contacts"]:
            point = named.get(person["name"])
            if not c.check(point is not None, f"{did}: ContactPoint for {person['name']}"):
                continue
            c.equal(point.get("email"), person["email"] if person.get("publish_email") else None,
                    f"{person['id']}: ContactPoint email (published only)")
            c.equal(point.get("telephone"), e164(person.get("phone")), f"{person['id']}: ContactPoint telephone")


def check_no_unpublished_address(c, site, departments):
    """An address marked unpublished appears in no file of public/: it would
    invite spam and bypass the form's routing."""
    public = os.path.join(site, "public")
    published, private = set(), set()
    for dept in departments:
        (published if dept.get("publish_inbox") else private).add(dept["inbox"])
        for person in dept["contacts"]:
            (published if person.get("publish_email") else private).add(person["email"])
    hidden = sorted(private - published)
    c.check(len(hidden) > 0, "the content has unpublished addresses to look for")
    for path in sorted(glob.glob(os.path.join(public, "**", "*"), recursive=True)):
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            body = f.read().lower()
        for addr in hidden:
            c.check(addr.lower().encode() not in body, f"{os.path.relpath(path, public)}: does not publish {addr}")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    site = sys.argv[1]
    conf, departments = load_content(site)
    c = Checks()
    check_vcards(c, site, conf, departments)
    check_jsonld(c, site, conf, departments)
    check_no_unpublished_address(c, site, departments)
    print(f"{c.passed} passed, {c.failed} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
