//! `switchboard build` and `init` through the real binary.

mod common;

use std::fs;

use common::*;

#[test]
fn builds_the_base_fixture_with_manifest_outside_the_output() {
    let site = site_with(None);
    let output = switchboard(site.path(), &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let root = site.path();
    for file in [
        "index.html",
        "contact/index.html",
        "contact/thanks/index.html",
        "departments/sales/index.html",
        "departments/help/index.html",
        "about/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "vcards/ann.vcf",
    ] {
        assert!(root.join("public").join(file).is_file(), "missing {file}");
    }
    let manifest =
        fs::read_to_string(root.join(".switchboard/routing.json")).expect("manifest written");
    let manifest: serde_json::Value = serde_json::from_str(&manifest).expect("manifest is JSON");
    assert_eq!(manifest["topics"].as_array().map(Vec::len), Some(2));
    // The manifest holds unpublished addresses: it must never be published.
    let published = snapshot_tree(&root.join("public"));
    assert!(
        !published
            .iter()
            .any(|(path, _)| path.to_string_lossy().contains("routing"))
    );
    assert!(
        !published
            .iter()
            .any(|(_, bytes)| String::from_utf8_lossy(bytes).contains("bob@fixture.example")),
        "an unpublished address leaked into the site"
    );
    let summary = stdout(&output);
    assert!(summary.starts_with("Built "), "{summary}");
    assert!(summary.contains(" ms."), "{summary}");
}

#[test]
fn a_syntax_error_leaves_the_previous_site_byte_for_byte() {
    let site = site_with(None);
    assert!(switchboard(site.path(), &["build"]).status.success());
    let before = snapshot_tree(&site.path().join("public"));
    let manifest_before =
        fs::read(site.path().join(".switchboard/routing.json")).expect("manifest");
    copy_tree(&fixtures().join("invalid/toml-syntax"), site.path());
    let output = switchboard(site.path(), &["build"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("content/departments/help.toml:2:18"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("Nothing was written"));
    assert_eq!(snapshot_tree(&site.path().join("public")), before);
    assert_eq!(
        fs::read(site.path().join(".switchboard/routing.json")).expect("manifest"),
        manifest_before
    );
    let leftovers: Vec<_> = fs::read_dir(site.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".public."))
        .collect();
    assert!(leftovers.is_empty(), "no staging folders left behind");
}

#[test]
fn output_and_manifest_paths_are_configurable_but_the_manifest_stays_private() {
    let site = site_with(None);
    let output = switchboard(
        site.path(),
        &["build", "--output", "dist", "--manifest", "state/r.json"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(site.path().join("dist/index.html").is_file());
    assert!(site.path().join("state/r.json").is_file());
    let refused = switchboard(
        site.path(),
        &["build", "--output", "dist", "--manifest", "dist/r.json"],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("would be published"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn init_creates_a_site_that_checks_and_builds() {
    let dir = tempfile::tempdir().expect("temp");
    let new_site = dir.path().join("new-site");
    let output = switchboard(dir.path(), &["init", "new-site"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let check = switchboard(&new_site, &["check"]);
    assert!(check.status.success(), "{}", stderr(&check));
    let build = switchboard(&new_site, &["build"]);
    assert!(build.status.success(), "{}", stderr(&build));
    assert!(new_site.join("public/index.html").is_file());
    // A second init must not overwrite the editor's work.
    let again = switchboard(dir.path(), &["init", "new-site"]);
    assert!(!again.status.success());
}

#[test]
fn the_example_site_builds() {
    let temp = tempfile::tempdir().expect("temp");
    let out = temp.path().join("public");
    let manifest = temp.path().join("routing.json");
    let root = env!("CARGO_MANIFEST_DIR");
    let output = switchboard(
        root.as_ref(),
        &[
            "build",
            "--output",
            out.to_str().expect("utf-8 path"),
            "--manifest",
            manifest.to_str().expect("utf-8 path"),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    // French is partial on purpose: one line says so, `check` has the list.
    let missing = stdout(&output);
    let missing = missing
        .lines()
        .find(|l| l.starts_with("Translations missing: "))
        .unwrap_or_else(|| panic!("no summary of missing translations: {missing}"));
    assert!(
        missing.contains(" in fr;") && !missing.contains(" in de"),
        "{missing}"
    );
    let home = fs::read_to_string(out.join("index.html")).expect("home page");
    assert!(home.contains("Customer Support"));
    // The example keeps its people on their department pages and in the
    // A–Z index (`people_on_home_page = 0`).
    assert!(!home.contains("Anaïs Dubois"));
    let people = fs::read_to_string(out.join("people/index.html")).expect("people index");
    assert!(people.contains("departments/sales/#contact-anais-dubois"));
    // Zoë is reachable only through the form: her address is nowhere on the site.
    for (path, bytes) in snapshot_tree(&out) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("zoe.lindqvist@"),
            "{} leaks an unpublished address",
            path.display()
        );
    }
}

/// A template that fails only while the department pages render: by then
/// other files are already in the staging tree. The live site must not see
/// any of it, and the next good build must still be right.
#[test]
fn a_render_error_midway_leaves_the_previous_site_byte_for_byte() {
    let site = site_with(None);
    let root = site.path();
    for _ in 0..2 {
        assert!(switchboard(root, &["build"]).status.success());
    }
    let before = snapshot_tree(&root.join("public"));
    assert!(root.join(".switchboard/recycle").is_dir());
    fs::create_dir_all(root.join("templates")).expect("templates folder");
    fs::write(
        root.join("templates/department.html"),
        "{% extends \"base.html\" %}{% block main %}{{ department.no_such_field.deeper }}{% endblock main %}",
    )
    .expect("broken override");
    let output = switchboard(root, &["build"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("department.html"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("Nothing was written"));
    assert_eq!(snapshot_tree(&root.join("public")), before);
    let leftovers: Vec<_> = fs::read_dir(root)
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".public."))
        .collect();
    assert!(leftovers.is_empty(), "no staging folders left behind");
    assert!(
        root.join(".switchboard/recycle").is_dir(),
        "the failed build gave the recycled tree back"
    );

    fs::remove_file(root.join("templates/department.html")).expect("fix the template");
    assert!(switchboard(root, &["build"]).status.success());
    assert_eq!(snapshot_tree(&root.join("public")), before);
}

/// Rebuilds decide "unchanged" from what the last build wrote (an index in
/// `.switchboard/`), not by reading every file back. A file edited by hand
/// in `public/` must still be put right, with or without that index.
#[cfg(unix)]
#[test]
fn rebuilds_keep_unchanged_files_and_repair_hand_edits() {
    use std::os::unix::fs::MetadataExt;
    let site = site_with(None);
    let root = site.path();
    let public = root.join("public");
    let inode = |name: &str| fs::metadata(public.join(name)).expect("meta").ino();
    assert!(switchboard(root, &["build"]).status.success());
    let good = snapshot_tree(&public);
    let sales = inode("departments/sales/index.html");
    for _ in 0..3 {
        assert!(switchboard(root, &["build"]).status.success());
        assert_eq!(
            inode("departments/sales/index.html"),
            sales,
            "kept, not rewritten"
        );
    }
    assert!(root.join(".switchboard/recycle.index").is_file());

    // An in-place edit (same inode, new size and mtime) and a replaced file.
    let mut home = fs::OpenOptions::new()
        .append(true)
        .open(public.join("index.html"))
        .expect("open the live home page");
    std::io::Write::write_all(&mut home, b"<!-- edited by hand -->").expect("edit");
    drop(home);
    fs::write(public.join("robots.txt.new"), "User-agent: *\n").expect("write");
    fs::rename(public.join("robots.txt.new"), public.join("robots.txt")).expect("replace");
    assert!(switchboard(root, &["build"]).status.success());
    assert_eq!(snapshot_tree(&public), good, "hand edits are put right");

    fs::remove_file(root.join(".switchboard/recycle.index")).expect("drop the index");
    fs::write(public.join("404.html"), "gone").expect("edit");
    assert!(switchboard(root, &["build"]).status.success());
    assert_eq!(snapshot_tree(&public), good, "right without the index too");
    assert_eq!(inode("departments/sales/index.html"), sales);
}

#[test]
fn the_built_manifest_loads_shares_hours_and_routes_every_topic() {
    let site = site_with(None);
    // A second department keeping the same hours as sales (and one topic for it).
    let sales =
        fs::read_to_string(site.path().join("content/departments/sales.toml")).expect("sales.toml");
    let export = sales
        .replace("id = \"sales\"", "id = \"export\"")
        .replace("name = \"Sales\"", "name = \"Export\"")
        .replace("sales@", "export@")
        .replace("\"ann\"", "\"ann2\"")
        .replace("\"bob\"", "\"bob2\"")
        .replace("ann@", "ann2@")
        .replace("bob@", "bob2@");
    fs::write(site.path().join("content/departments/export.toml"), export).expect("write");
    let mut topics =
        fs::read_to_string(site.path().join("content/topics.toml")).expect("topics.toml");
    topics
        .push_str("\n[[topic]]\nid = \"export\"\nlabel = \"Exporting\"\ndepartment = \"export\"\n");
    fs::write(site.path().join("content/topics.toml"), topics).expect("write");

    let output = switchboard(site.path(), &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let path = site.path().join(".switchboard/routing.json");
    let text = fs::read_to_string(&path).expect("manifest");
    assert!(!text.contains('\n'), "written compact");
    let manifest = switchboard_router::RoutingManifest::load(&path).expect("the router loads it");
    assert_eq!(
        manifest.schema_version,
        switchboard_router::manifest::SCHEMA_VERSION
    );
    // sales and export keep the same week: one entry; help keeps its own.
    assert_eq!(manifest.hours.len(), 2, "{:?}", manifest.hours);
    let hours_of = |id: &str| manifest.department(id).and_then(|d| d.hours.clone());
    assert_eq!(hours_of("sales"), hours_of("export"));
    assert_ne!(hours_of("sales"), hours_of("help"));

    // Monday 10:00 in London, 04:00 in Chicago: every topic routes, only to
    // addresses of the manifest.
    let now = "2026-03-02T10:00:00Z".parse().expect("time");
    let allowed = manifest.routable_addresses();
    for topic in &manifest.topics {
        let route = switchboard_router::route::route(&manifest, &topic.id, now)
            .unwrap_or_else(|e| panic!("{}: {e}", topic.id));
        for r in route.to.iter().chain(&route.cc) {
            assert!(allowed.contains(&r.email.as_str()), "{}", r.email);
        }
    }
    let export = switchboard_router::route::route(&manifest, "export", now).expect("route");
    assert_eq!(export.to[0].email, "ann2@fixture.example");
}

/// Finding 2 of the abuse review: no `site.toml` key could switch the
/// captcha on. Now `[form] captcha` reaches the manifest, the form's widget
/// and the pages' Content-Security-Policy.
#[test]
fn a_captcha_named_in_content_reaches_the_manifest_the_form_and_the_policy() {
    let site = site_with(None);
    let site_toml = site.path().join("content/site.toml");
    let mut text = fs::read_to_string(&site_toml).unwrap();
    text.push_str("captcha = { provider = \"turnstile\", site_key = \"0x4AAAAAAAtestkey\" }\n");
    fs::write(&site_toml, &text).unwrap();
    let output = switchboard(site.path(), &["build"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let manifest: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(site.path().join(".switchboard/routing.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["form"]["captcha"]["provider"], "turnstile");
    assert_eq!(manifest["form"]["captcha"]["site_key"], "0x4AAAAAAAtestkey");
    let contact = fs::read_to_string(site.path().join("public/contact/index.html")).unwrap();
    assert!(
        contact.contains("class=\"cf-turnstile\" data-sitekey=\"0x4AAAAAAAtestkey\""),
        "{contact}"
    );
    assert!(contact.contains("challenges.cloudflare.com/turnstile/v0/api.js"));
    assert!(contact.contains("frame-src https://challenges.cloudflare.com;"));
    assert!(
        contact.contains("<noscript>"),
        "a visitor without JavaScript is told why"
    );
    // An unknown provider is an error with its line.
    fs::write(&site_toml, text.replace("turnstile", "recaptcha")).unwrap();
    let output = switchboard(site.path(), &["check"]);
    assert!(!output.status.success());
    let report = stderr(&output) + &stdout(&output);
    assert!(
        report.contains("`recaptcha` is not a captcha provider"),
        "{report}"
    );
    assert!(report.contains("content/site.toml:"), "{report}");
}

/// Finding 9 of the abuse review: without `SWITCHBOARD_FORM_SECRET` the
/// build signed silently with a generated secret, and the deployed router
/// then refused every message. Now the build says which secret signed the
/// form, and warns when the form posts elsewhere than this machine.
#[test]
fn the_build_says_which_secret_signed_the_form() {
    let site = site_with(None);
    let run = |secret: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command
            .args(["build"])
            .current_dir(site.path())
            .env_remove("SWITCHBOARD_FORM_SECRET");
        if let Some(s) = secret {
            command.env("SWITCHBOARD_FORM_SECRET", s);
        }
        command.output().unwrap()
    };
    let local = run(None);
    assert!(local.status.success(), "{}", stderr(&local));
    assert!(
        stdout(&local).contains("signed with the local secret in"),
        "{}",
        stdout(&local)
    );
    assert!(stdout(&local).contains("(generated now)"));
    let warning = stderr(&local);
    assert!(
        warning.contains("warning: the form posts to https://api.fixture.example/contact"),
        "{warning}"
    );
    let secret = fs::read_to_string(site.path().join(".switchboard/form-secret")).unwrap();
    assert!(!warning.contains(secret.trim()), "never the value");
    let from_env = run(Some("a-secret-shared-with-the-router"));
    assert!(from_env.status.success());
    assert!(stdout(&from_env).contains("signed with SWITCHBOARD_FORM_SECRET"));
    assert!(
        !stderr(&from_env).contains("warning"),
        "{}",
        stderr(&from_env)
    );
}
