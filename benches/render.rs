//! How long the renderer takes on a large site, in memory (no theme
//! loading in the figure, no disk): the fixture organisation's first
//! department copied N times with 10 contacts each; best of 3 renders.
//!
//!     cargo bench -p switchboard --bench render              # 1,000 departments
//!     cargo bench -p switchboard --bench render -- 10000     # N departments
//!     cargo bench -p switchboard --bench render -- --quick   # 50, one run: still works? (CI)
//!
//! Not a test: it asserts nothing about time. `benches/bench.py` times the
//! whole `switchboard build` (load, render, write) instead.

use std::time::Instant;

use switchboard::render::{RenderOptions, Theme, render_site, testsite};

/// The fixture's first department, copied `departments` times with
/// `contacts` contacts each, and one topic per department.
fn big_site(departments: usize, contacts: usize) -> switchboard::model::Site {
    let mut site = testsite::site();
    let template = site.departments[0].clone();
    let topic = site.topics[0].clone();
    site.departments.clear();
    site.topics.clear();
    for d in 0..departments {
        let mut dept = template.clone();
        dept.id = format!("dept-{d}");
        dept.name = format!("Department {d}");
        let person = dept.contacts[1].clone();
        dept.contacts = (0..contacts)
            .map(|c| {
                let mut p = person.clone();
                p.id = format!("c-{d}-{c}");
                p.name = format!("Zoë Person {d}-{c}");
                p.email = format!("c-{d}-{c}@private.example.org");
                p.department = dept.id.clone();
                p
            })
            .collect();
        dept.primary = dept.contacts[0].id.clone();
        let mut t = topic.clone();
        t.id = format!("topic-{d}");
        t.department = dept.id.clone();
        site.topics.push(t);
        site.departments.push(dept);
    }
    site
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let departments = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(if quick { 50 } else { 1000 });
    let runs: u32 = if quick { 1 } else { 3 };
    let site = big_site(departments, 10);
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let theme = Theme::load(tmp.path(), "default").unwrap();
    let loaded = started.elapsed();
    let opts = RenderOptions {
        form_endpoint: "https://router.example.net/submit".into(),
        content_hash: "c0ffee".into(),
        form_token: "f2.c0ffee.1772323200.sig".into(),
        time_token: "t2.b.1772323200.sig".into(),
        live_reload: None,
    };
    let mut best = std::time::Duration::MAX;
    let mut out = None;
    let cpu_before = cpu_seconds();
    for _ in 0..runs {
        let t = Instant::now();
        out = Some(render_site(&site, &theme, &opts).unwrap());
        best = best.min(t.elapsed());
    }
    let cpu = (cpu_seconds() - cpu_before) / f64::from(runs);
    let out = out.unwrap();
    println!(
        "theme load {:?}; render {departments}x10: best of {runs} {:?} wall, {:.0} ms CPU (all threads), {} files, {:.1} MB (home page {:.1} MB)",
        loaded,
        best,
        cpu * 1000.0,
        out.files.len(),
        out.total_bytes() as f64 / 1e6,
        out.files["index.html"].len() as f64 / 1e6
    );
}

/// User + system CPU time of this process so far (Linux; 0 elsewhere), to
/// tell rendering cost from a busy machine's wait.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11..13).map_or(0.0, |v| {
        v.iter().filter_map(|x| x.parse::<f64>().ok()).sum()
    });
    ticks / 100.0
}
