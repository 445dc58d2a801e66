//! schema.org JSON-LD: on the home page the Organization and the
//! departments it lists (name, URL, phone, published inbox: no people and
//! no description, so the page stays small whatever the organisation's
//! size; the department's `url` leads to the rest); on each department's page the
//! department as an Organization (`parentOrganization` the whole) with its
//! ContactPoints: phone, published email, languages and opening hours.
//!
//! Built as a `serde_json::Value`, never by string templates, so it is always
//! well-formed; [`script_safe`] makes it safe inside `<script>`.

use serde_json::{Map, Value, json};

use super::hours::{SCHEMA_DAYS, hhmm};
use super::view::department_path;
use crate::model::{Contact, Department, Hours, Site};

/// The home page's graph: the organization and its first `listed`
/// departments (those the home page shows), without their people.
pub fn organization(site: &Site, listed: usize) -> Value {
    let mut o = organization_head(site);
    o.insert(
        "department".into(),
        site.departments
            .iter()
            .take(listed)
            .map(|d| {
                let mut head = department_head(site, d);
                head.remove("description");
                Value::Object(head)
            })
            .collect(),
    );
    Value::Object(o)
}

/// [`organization`] for a `<script>`.
pub fn organization_script(site: &Site, listed: usize) -> String {
    script_safe(&organization(site, listed))
}

/// A department page's graph: the department with its ContactPoints, part
/// of the organization.
pub fn department(site: &Site, d: &Department) -> Value {
    let mut o = obj(json!({ "@context": "https://schema.org" }));
    o.extend(department_head(site, d));
    let mut parent = obj(json!({
        "@type": "Organization",
        "name": site.organization.name,
        "url": format!("{}/", site.config.base_url),
    }));
    if let Some(phone) = &site.organization.phone {
        parent.insert("telephone".into(), phone.e164.clone().into());
    }
    o.insert("parentOrganization".into(), Value::Object(parent));
    o.insert("contactPoint".into(), contact_points(d).into());
    Value::Object(o)
}

/// The organization without its departments.
fn organization_head(site: &Site) -> Map<String, Value> {
    let base = &site.config.base_url;
    let org = &site.organization;
    let mut o = obj(json!({
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": org.name,
        "url": format!("{base}/"),
    }));
    if let Some(logo) = &org.logo {
        o.insert(
            "logo".into(),
            format!("{base}/{}", logo.trim_start_matches('/')).into(),
        );
    }
    if let Some(phone) = &org.phone {
        o.insert("telephone".into(), phone.e164.clone().into());
    }
    if let Some(email) = &org.email {
        o.insert("email".into(), email.clone().into());
    }
    if let Some(a) = &org.address {
        let mut addr = obj(json!({
            "@type": "PostalAddress",
            "streetAddress": a.street,
            "addressLocality": a.locality,
            "postalCode": a.postal_code,
            "addressCountry": a.country,
        }));
        if let Some(region) = &a.region {
            addr.insert("addressRegion".into(), region.clone().into());
        }
        o.insert("address".into(), Value::Object(addr));
    }
    if !org.social.is_empty() {
        o.insert(
            "sameAs".into(),
            org.social.iter().map(|s| s.url.clone()).collect(),
        );
    }
    o
}

/// A department's name, URL, summary, phone and published inbox.
fn department_head(site: &Site, d: &Department) -> Map<String, Value> {
    let mut o = obj(json!({
        "@type": "Organization",
        "name": d.name,
        "url": format!("{}/{}", site.config.base_url, department_path(&d.id)),
    }));
    if !d.summary.is_empty() {
        o.insert("description".into(), d.summary.clone().into());
    }
    if let Some(p) = &d.phone {
        o.insert("telephone".into(), p.e164.clone().into());
    }
    if d.publish_inbox {
        o.insert("email".into(), d.inbox.clone().into());
    }
    o
}

/// The department's own point, with the hours, then one per contact.
fn contact_points(d: &Department) -> Vec<Value> {
    // The people's points repeat only what differs from the department's.
    let mut cp = contact_point(&d.name, &d.languages, d.hours.as_ref());
    if let Some(p) = &d.phone {
        cp.insert("telephone".into(), p.e164.clone().into());
    }
    if d.publish_inbox {
        cp.insert("email".into(), d.inbox.clone().into());
    }
    let mut points = vec![Value::Object(cp)];
    points.extend(d.contacts.iter().map(|c| person_point(d, c)));
    points
}

/// A contact as a ContactPoint: named after the person, typed by their role;
/// their hours are the department's (on the department's first point).
fn person_point(d: &Department, c: &Contact) -> Value {
    let langs = if c.languages.is_empty() {
        &d.languages
    } else {
        &c.languages
    };
    let mut cp = contact_point(&c.role, langs, None);
    cp.insert("name".into(), c.name.clone().into());
    if let Some(p) = &c.phone {
        cp.insert("telephone".into(), p.e164.clone().into());
    }
    if c.publish_email {
        cp.insert("email".into(), c.email.clone().into());
    }
    Value::Object(cp)
}

fn contact_point(
    contact_type: &str,
    languages: &[String],
    hours: Option<&Hours>,
) -> Map<String, Value> {
    let mut cp = obj(json!({ "@type": "ContactPoint", "contactType": contact_type }));
    if !languages.is_empty() {
        cp.insert(
            "availableLanguage".into(),
            languages.iter().cloned().collect(),
        );
    }
    if let Some(h) = hours {
        cp.insert("hoursAvailable".into(), opening_hours(h).into());
    }
    cp
}

/// One OpeningHoursSpecification per span (grouping days with the same
/// span), then one per closure with `opens`=`closes`=00:00, which is how
/// schema.org says "closed on these dates".
pub fn opening_hours(h: &Hours) -> Vec<Value> {
    let mut specs: Vec<(u16, u16, Vec<&str>)> = Vec::new();
    for (day, spans) in h.days.iter().enumerate().take(7) {
        for s in spans {
            match specs
                .iter_mut()
                .find(|(o, c, _)| *o == s.open && *c == s.close)
            {
                Some((_, _, days)) => days.push(SCHEMA_DAYS[day]),
                None => specs.push((s.open, s.close, vec![SCHEMA_DAYS[day]])),
            }
        }
    }
    let mut out: Vec<Value> = specs
        .into_iter()
        .map(|(open, close, days)| {
            json!({
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": days,
                "opens": format!("{}:00", hhmm(open)),
                // schema.org has no 24:00; the end of the day is 23:59:59.
                "closes": if close >= 1440 { "23:59:59".to_string() } else { format!("{}:00", hhmm(close)) },
            })
        })
        .collect();
    out.extend(h.closures.iter().map(|c| {
        json!({
            "@type": "OpeningHoursSpecification",
            "name": c.name,
            "opens": "00:00:00",
            "closes": "00:00:00",
            "validFrom": c.dates.from.to_string(),
            "validThrough": c.dates.until.to_string(),
        })
    }));
    out
}

/// Serializes for a `<script type="application/ld+json">`: `<`, `>` and `&`
/// become `\u003c`… so no value can close the script element.
pub fn script_safe(value: &Value) -> String {
    // `to_string` would go through `Display` and a formatter; a large
    // directory's JSON-LD is big enough for that detour to show, so the
    // bytes are written directly.
    let s = serde_json::to_vec(value).unwrap_or_default();
    let risky = |b: &u8| matches!(b, b'<' | b'>' | b'&' | 0xE2);
    if !s.iter().any(risky) {
        return String::from_utf8(s).unwrap_or_default();
    }
    let mut out = Vec::with_capacity(s.len() + 64);
    let mut rest = &s[..];
    while let Some(i) = rest.iter().position(risky) {
        out.extend_from_slice(&rest[..i]);
        let tail = &rest[i..];
        let (replacement, used): (&[u8], usize) = match tail {
            [b'<', ..] => (b"\\u003c", 1),
            [b'>', ..] => (b"\\u003e", 1),
            [b'&', ..] => (b"\\u0026", 1),
            // U+2028 and U+2029 (E2 80 A8/A9) end a line in older JavaScript.
            [0xE2, 0x80, 0xA8, ..] => (b"\\u2028", 3),
            [0xE2, 0x80, 0xA9, ..] => (b"\\u2029", 3),
            _ => (&tail[..1], 1),
        };
        out.extend_from_slice(replacement);
        rest = &tail[used..];
    }
    out.extend_from_slice(rest);
    // Only ASCII was replaced, on character boundaries: still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_graph_lists_departments_without_people() {
        let site = crate::render::testsite::site();
        let text = organization_script(&site, usize::MAX);
        assert!(!text.contains('<'), "script-safe");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["@context"], "https://schema.org");
        assert_eq!(v["@type"], "Organization");
        assert_eq!(v["name"], site.organization.name);
        assert_eq!(v["address"]["@type"], "PostalAddress");
        assert_eq!(v["address"]["addressCountry"], "DE");
        let depts = v["department"].as_array().unwrap();
        assert_eq!(depts.len(), site.departments.len());
        for (dv, d) in depts.iter().zip(&site.departments) {
            assert_eq!(dv["@type"], "Organization");
            assert_eq!(dv["name"], d.name);
            assert!(
                dv.get("contactPoint").is_none() && dv.get("description").is_none(),
                "people and the summary are on the department page"
            );
        }
        let one = organization(&site, 1);
        assert_eq!(one["department"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn department_graph_has_its_contact_points() {
        let site = crate::render::testsite::site();
        for d in &site.departments {
            let text = script_safe(&department(&site, d));
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["@context"], "https://schema.org");
            assert_eq!(v["@type"], "Organization");
            assert_eq!(v["name"], d.name);
            assert_eq!(v["parentOrganization"]["name"], site.organization.name);
            if !d.summary.is_empty() {
                assert_eq!(v["description"], d.summary);
            }
            let points = v["contactPoint"].as_array().unwrap();
            assert_eq!(points.len(), d.contacts.len() + 1);
            for p in points {
                assert_eq!(p["@type"], "ContactPoint");
                assert!(p["telephone"].as_str().is_none_or(|t| t.starts_with('+')));
                assert!(p["availableLanguage"].is_array());
                if d.hours.is_some() && p.get("name").is_none() {
                    let hrs = p["hoursAvailable"].as_array().unwrap();
                    assert_eq!(hrs[0]["@type"], "OpeningHoursSpecification");
                }
            }
            // Unpublished addresses never appear.
            for c in d.contacts.iter().filter(|c| !c.publish_email) {
                assert!(!text.contains(&c.email));
            }
            assert_eq!(text.contains(&d.inbox), d.publish_inbox);
        }
    }

    #[test]
    fn closures_and_full_days() {
        let site = crate::render::testsite::site();
        let h = site.departments[0].hours.as_ref().unwrap();
        let specs = opening_hours(h);
        let closure = specs.iter().find(|s| s.get("validFrom").is_some()).unwrap();
        assert_eq!(closure["opens"], "00:00:00");
        assert_eq!(closure["closes"], "00:00:00");
    }

    #[test]
    fn script_safe_cannot_close_the_script() {
        let v = json!({"name": "</script><b>&"});
        let s = script_safe(&v);
        assert!(!s.contains('<'));
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["name"], "</script><b>&");
    }

    #[test]
    fn script_safe_escapes_line_separators_and_keeps_other_text() {
        let v = json!({"a": "x\u{2028}y\u{2029}z", "b": "Jörg – Ó Briain … €"});
        let s = script_safe(&v);
        assert!(!s.contains('\u{2028}') && !s.contains('\u{2029}'), "{s}");
        assert!(s.contains("\\u2028") && s.contains("\\u2029"), "{s}");
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
