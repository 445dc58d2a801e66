//! A small organisation built in code, shared by the renderer's unit tests,
//! `tests/render_site.rs` and `benches/render.rs`. Compiled for the crate's
//! own tests and, through the `test-support` feature, for the integration
//! tests and benches (the root `Cargo.toml` turns it on for them).
//!
//! It has what the tests need to bite: an unpublished inbox, a contact
//! reachable only through the form, non-ASCII names, characters that need
//! escaping, two time zones, a closure and a department with no hours.

use switchboard_router::manifest::{AfterHoursRule, DateRange, OpenSpan};

use crate::model::*;

/// The fixture site published in `languages`, the first the default.
pub fn site_in_languages(languages: &[&str]) -> Site {
    let mut site = site();
    site.config.language = languages[0].to_string();
    site.config.languages = languages.iter().map(|l| l.to_string()).collect();
    site
}

/// The fixture site.
pub fn site() -> Site {
    fn phone(display: &str) -> Option<Phone> {
        Some(Phone {
            display: display.to_string(),
            e164: display
                .chars()
                .filter(|c| *c == '+' || c.is_ascii_digit())
                .collect(),
        })
    }
    fn spans(open: u16, close: u16) -> Vec<OpenSpan> {
        vec![OpenSpan { open, close }]
    }
    fn contact(id: &str, dept: &str, name: &str, role: &str, publish: bool) -> Contact {
        Contact {
            id: id.into(),
            department: dept.into(),
            name: name.into(),
            role: role.into(),
            email: format!("{id}@private.example.org"),
            publish_email: publish,
            phone: phone("+49 30 1234 5600"),
            languages: vec!["de".into(), "en".into()],
            photo: None,
            bio_html: None,
            backup: None,
            away: vec![],
        }
    }
    let weekdays = |open, close| {
        let mut d = vec![spans(open, close); 5];
        d.push(vec![]);
        d.push(vec![]);
        d
    };
    let sales = Department {
        id: "sales".into(),
        name: "Sales & Partnerships".into(),
        summary: "Quotes, pricing and <partner> programmes.".into(),
        inbox: "sales-inbox@private.example.org".into(),
        publish_inbox: false,
        cc_inbox: true,
        phone: phone("+49 30 1234 5678"),
        languages: vec!["de".into(), "en".into()],
        route_by_language: true,
        response_time: "within one business day".into(),
        hours: Some(Hours {
            timezone: "Europe/Berlin".into(),
            days: weekdays(540, 1020),
            closures: vec![Closure {
                name: "Winter break".into(),
                dates: DateRange {
                    from: chrono::NaiveDate::from_ymd_opt(2025, 12, 24).unwrap_or_default(),
                    until: chrono::NaiveDate::from_ymd_opt(2025, 12, 26).unwrap_or_default(),
                },
            }],
        }),
        after_hours: AfterHoursRule::Primary,
        primary: "ana".into(),
        contacts: vec![
            Contact {
                photo: Some("photos/ana.jpg".into()),
                bio_html: Some("<p>Ten years in <em>B2B</em> sales.</p>\n".into()),
                ..contact(
                    "ana",
                    "sales",
                    "Ana Souza, Jr.",
                    "Head of Sales; EMEA",
                    true,
                )
            },
            contact(
                "zoe",
                "sales",
                "Zoë Ødegård-Łukasiewicz",
                "Account manager",
                false,
            ),
        ],
        source: "content/departments/sales.toml".into(),
    };
    let support = Department {
        id: "support".into(),
        name: "Customer Support".into(),
        summary: "Help with orders and accounts.".into(),
        inbox: "support@example.org".into(),
        publish_inbox: true,
        cc_inbox: false,
        phone: phone("+1 415 555 0100"),
        languages: vec!["en".into(), "es".into()],
        route_by_language: true,
        response_time: "within four hours".into(),
        hours: Some(Hours {
            timezone: "America/Los_Angeles".into(),
            days: {
                let mut d = weekdays(480, 1200);
                d[5] = spans(600, 840);
                d
            },
            closures: vec![],
        }),
        after_hours: AfterHoursRule::Backup,
        primary: "li".into(),
        contacts: vec![
            Contact {
                languages: vec!["en".into(), "zh".into()],
                ..contact("li", "support", "李 Wei", "Support lead", true)
            },
            contact("marta", "support", "Marta Núñez", "Support agent", false),
        ],
        source: "content/departments/support.toml".into(),
    };
    let press = Department {
        id: "press".into(),
        name: "Press".into(),
        summary: String::new(),
        inbox: "press-desk@private.example.org".into(),
        publish_inbox: false,
        cc_inbox: false,
        phone: None,
        languages: vec!["en".into()],
        route_by_language: true,
        response_time: "within two business days".into(),
        hours: None,
        after_hours: AfterHoursRule::Inbox,
        primary: "jo".into(),
        contacts: vec![contact("jo", "press", "Jo O'Brien", "Press officer", false)],
        source: "content/departments/press.toml".into(),
    };
    let topic = |id: &str, label: &str, dept: &str| Topic {
        id: id.into(),
        label: label.into(),
        description: None,
        department: dept.into(),
        contact: None,
    };
    Site {
        root: std::path::PathBuf::from("."),
        directory: Default::default(),
        config: SiteConfig {
            title: "Acme & Co contact".into(),
            description: "How to reach the right person at Acme & Co.".into(),
            base_url: "https://contact.example.org".into(),
            language: "en".into(),
            languages: vec!["en".into()],
            theme: "default".into(),
        },
        organization: Organization {
            name: "Acme & Co GmbH".into(),
            logo: Some("img/logo.svg".into()),
            address: Some(PostalAddress {
                street: "Hauptstraße 1".into(),
                locality: "Berlin".into(),
                region: None,
                postal_code: "10115".into(),
                country: "DE".into(),
            }),
            phone: phone("+49 30 1234 5000"),
            email: Some("hello@example.org".into()),
            social: vec![SocialLink {
                name: "Mastodon".into(),
                url: "https://social.example/@acme".into(),
            }],
        },
        form: FormSettings {
            endpoint: "https://router.example.net/submit".into(),
            response_time: "within two business days".into(),
            min_fill_seconds: 3,
            max_message_chars: 5000,
            captcha: None,
            token_max_age_days: 180,
            retention_days: 90,
            limits: Default::default(),
        },
        departments: vec![sales, support, press],
        topics: vec![
            Topic {
                description: Some("Prices, volume discounts & quotes".into()),
                ..topic("pricing", "Pricing and quotes", "sales")
            },
            topic("partners", "Partnerships", "sales"),
            topic("orders", "An order", "support"),
            Topic {
                contact: Some("marta".into()),
                ..topic("account", "My account", "support")
            },
            topic("press", "Press enquiries", "press"),
        ],
        pages: vec![Page {
            slug: "about".into(),
            title: "About us".into(),
            description: Some("Who we are".into()),
            menu: Some(1),
            body_html: "<h2>Who we are</h2>\n<p>A small company.</p>\n".into(),
        }],
        translations: Default::default(),
    }
}
