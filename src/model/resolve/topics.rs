//! `content/topics.toml` and the Markdown pages.

use std::collections::HashMap;

use super::{Ids, RESERVED_SLUGS, Resolver};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::model::load::{Parsed, RawPage, RawSite};
use crate::model::markdown::markdown_to_html;
use crate::model::schema::{DepartmentFile, TopicEntry, TopicsFile};
use crate::model::site::*;
use crate::model::value_checks;

pub(super) fn resolve_topics(
    resolver: &mut Resolver,
    file: &Parsed<TopicsFile>,
    raw: &RawSite,
) -> Vec<Topic> {
    let source = &file.source;
    if file.value.topic.is_empty() {
        resolver.diagnostics.push(
            Diagnostic::file(
                &source.path,
                "there are no topics, so the form would offer nothing",
            )
            .with_hint("add [[topic]] entries with an id, a label and a department"),
        );
    }
    let mut department_ids: Ids = raw
        .departments
        .iter()
        .map(|d| d.value.id.get_ref().as_str())
        .collect();
    // A department whose file did not parse is already reported; its file
    // name is the likely id, so do not also report every topic naming it.
    department_ids.extend(raw.unparsed_departments.iter().map(String::as_str));
    let departments_by_id: HashMap<&str, &Parsed<DepartmentFile>> = raw
        .departments
        .iter()
        .map(|d| (d.value.id.get_ref().as_str(), d))
        .collect();
    let mut seen = HashMap::new();
    let mut topics = Vec::new();
    for topic in &file.value.topic {
        resolver.unique(&mut seen, "topic", source, &topic.id);
        let id_ok = resolver
            .check(source, &topic.id, |id| value_checks::check_id(id))
            .is_some();
        let department_ok =
            resolver.reference(source, &topic.department, "department", &department_ids);
        let contact_ok = topic_contact_ok(
            resolver,
            source,
            topic,
            department_ok,
            raw,
            &departments_by_id,
        );
        let parsed = !raw
            .unparsed_departments
            .contains(topic.department.get_ref());
        if id_ok && department_ok && contact_ok && parsed {
            topics.push(Topic {
                id: topic.id.get_ref().clone(),
                label: topic.label.get_ref().clone(),
                description: topic.description.as_ref().map(|d| d.get_ref().clone()),
                department: topic.department.get_ref().clone(),
                contact: topic.contact.as_ref().map(|c| c.get_ref().clone()),
            });
        }
    }
    topics
}

/// Whether the topic's `contact` (if any) belongs to its department,
/// reporting it if not. A topic whose department is missing or did not
/// parse is already reported, so its contact is not checked.
fn topic_contact_ok(
    resolver: &mut Resolver,
    source: &SourceFile,
    topic: &TopicEntry,
    department_ok: bool,
    raw: &RawSite,
    departments_by_id: &HashMap<&str, &Parsed<DepartmentFile>>,
) -> bool {
    match (&topic.contact, department_ok) {
        (Some(_), true)
            if raw
                .unparsed_departments
                .contains(topic.department.get_ref()) =>
        {
            false
        }
        (Some(contact), true) => {
            let department = departments_by_id.get(topic.department.get_ref().as_str());
            let members: Ids = department
                .map(|d| {
                    d.value
                        .contacts
                        .iter()
                        .map(|c| c.id.get_ref().as_str())
                        .collect()
                })
                .unwrap_or_default();
            resolver.reference(
                source,
                contact,
                &format!("contact in department `{}`", topic.department.get_ref()),
                &members,
            )
        }
        (Some(_), false) => false,
        (None, ok) => ok,
    }
}

pub(super) fn resolve_pages(resolver: &mut Resolver, raw_pages: &[RawPage]) -> Vec<Page> {
    let mut seen: HashMap<String, &SourceFile> = HashMap::new();
    let mut pages = Vec::new();
    for raw in raw_pages {
        let slug_ok = value_checks::check_id(&raw.slug).is_ok()
            && !RESERVED_SLUGS.contains(&raw.slug.as_str());
        if !slug_ok {
            resolver.diagnostics.push(
                Diagnostic::file(
                    &raw.source.path,
                    format!("`{}` cannot be a page's file name", raw.slug),
                )
                .with_hint(format!(
                    "name the file with lowercase letters, digits and hyphens, not one of {}",
                    RESERVED_SLUGS.join(", ")
                )),
            );
            continue;
        }
        if let Some(first) = seen.get(&raw.slug) {
            resolver.diagnostics.push(
                Diagnostic::file(
                    &raw.source.path,
                    format!("two pages are both named `{}`", raw.slug),
                )
                .with_hint(format!("rename this file or {}", first.path.display())),
            );
            continue;
        }
        seen.insert(raw.slug.clone(), &raw.source);
        pages.push(Page {
            slug: raw.slug.clone(),
            title: raw.front.title.get_ref().clone(),
            description: raw.front.description.clone(),
            menu: raw.front.menu,
            body_html: markdown_to_html(&raw.markdown),
        });
    }
    pages.sort_by(|a, b| a.slug.cmp(&b.slug));
    pages
}
