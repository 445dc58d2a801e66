//! Id → position tables over the manifest's lists, so routing does not scan.

use std::sync::OnceLock;

use super::RoutingManifest;

/// Positions of topics, hours, departments and contacts by id, so routing a
/// submission for a large organisation does not scan thousands of entries.
/// [`RoutingManifest::check`] builds it (it finds duplicate ids and dangling
/// references with it); an unchecked manifest builds it on the first lookup.
/// A lookup always checks the id at the position it finds and falls back to
/// a scan, so an index that went stale (the lists edited after it was built)
/// can cost time but never give a wrong answer.
#[derive(Debug, Clone, Default)]
pub struct LookupIndex(OnceLock<Positions>);

impl LookupIndex {
    /// The positions of `manifest`'s entries, built on the first call.
    pub(super) fn positions(&self, manifest: &RoutingManifest) -> &Positions {
        self.0.get_or_init(|| Positions::new(manifest))
    }

    /// Keeps positions the check built (a second check finds them built).
    pub(super) fn keep(&self, positions: Positions) {
        let _ = self.0.set(positions);
    }
}

#[derive(Debug, Clone)]
pub(super) struct Positions {
    pub(super) topics: IdTable,
    pub(super) hours: IdTable,
    pub(super) departments: IdTable,
    pub(super) contacts: IdTable,
    /// The first id listed twice: the list's name, the second entry's position, the id.
    pub(super) duplicate: Option<(&'static str, usize, String)>,
}

impl PartialEq for LookupIndex {
    /// A cache: never part of what makes two manifests equal.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Positions in one list, hashed by the entry's id (open addressing, linear
/// probing). The ids stay in the list, so a slot is four bytes: at start-up
/// every byte the index takes is a page the process has to fault in.
#[derive(Debug, Clone)]
pub(super) struct IdTable {
    pub(super) slots: Vec<u32>,
}

const EMPTY: u32 = u32::MAX;

/// FNV-1a over the id's bytes, its high half folded into the low bits the
/// mask keeps. Cheaper than `DefaultHasher` (SipHash) for short ids, which
/// the check hashes for every entry and reference at start-up; SipHash here had fixed keys
/// anyway, and a colliding id costs probes, never a wrong answer.
pub(super) fn slot_of(id: &str, mask: usize) -> usize {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in id.as_bytes() {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    // Truncating the hash is what a mask does anyway.
    ((hash ^ (hash >> 32)) as usize) & mask
}

impl IdTable {
    /// The table for `items`, and the position of the first entry that
    /// repeats an earlier entry's id (the earlier one is the one found).
    pub(super) fn new<T>(items: &[T], id_of: impl Fn(&T) -> &str) -> (Self, Option<usize>) {
        // At most two thirds full, so probes stay short and always end.
        let mut slots = vec![EMPTY; (items.len() * 3 / 2 + 1).next_power_of_two()];
        let mask = slots.len() - 1;
        let mut repeated = None;
        for (i, item) in items.iter().enumerate() {
            // Beyond u32 positions (never, in practice) lookups fall back to scans.
            let Ok(position) = u32::try_from(i) else {
                break;
            };
            let id = id_of(item);
            let mut at = slot_of(id, mask);
            loop {
                match slots[at] {
                    EMPTY => {
                        slots[at] = position;
                        break;
                    }
                    j if id_of(&items[j as usize]) == id => {
                        repeated.get_or_insert(i);
                        break;
                    }
                    _ => at = (at + 1) & mask,
                }
            }
        }
        (Self { slots }, repeated)
    }

    /// The position in `items` of the entry with `id`, if the table has one.
    pub(super) fn get<T>(
        &self,
        items: &[T],
        id: &str,
        id_of: impl Fn(&T) -> &str,
    ) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut at = slot_of(id, mask);
        for _ in 0..self.slots.len() {
            match self.slots[at] {
                EMPTY => return None,
                j if items.get(j as usize).is_some_and(|item| id_of(item) == id) => {
                    return Some(j as usize);
                }
                _ => at = (at + 1) & mask,
            }
        }
        None
    }
}

/// The entry with `id`: through `table`, else (a stale table) by a scan.
pub(super) fn find<'a, T>(
    items: &'a [T],
    table: &IdTable,
    id: &str,
    id_of: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    match table.get(items, id, &id_of) {
        Some(i) => items.get(i),
        None => items.iter().find(|item| id_of(item) == id),
    }
}

impl Positions {
    pub(super) fn new(m: &RoutingManifest) -> Self {
        fn table<T>(
            list: &'static str,
            items: &[T],
            id_of: impl Fn(&T) -> &str,
        ) -> (IdTable, Option<(&'static str, usize, String)>) {
            let (table, repeated) = IdTable::new(items, &id_of);
            let duplicate = repeated.map(|at| (list, at, id_of(&items[at]).to_string()));
            (table, duplicate)
        }
        let (topics, t) = table("topics", &m.topics, |t| &t.id);
        let (hours, h) = table("hours", &m.hours, |h| &h.id);
        let (departments, d) = table("departments", &m.departments, |d| &d.id);
        let (contacts, c) = table("contacts", &m.contacts, |c| &c.id);
        Self {
            topics,
            hours,
            departments,
            contacts,
            duplicate: t.or(h).or(d).or(c),
        }
    }
}
