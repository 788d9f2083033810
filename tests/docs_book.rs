//! The documentation: README.md is a landing page of at most 300 lines that keeps the quick
//! start; the book under docs/ lists every chapter of docs/src in SUMMARY.md and nothing else;
//! every relative link of README.md and of the chapters reaches a file and, with a `#anchor`,
//! a heading of that file; and docs/book.toml is what mdBook needs. No lab, no network.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

const README_MAX_LINES: usize = 300;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.md` file under docs/src, SUMMARY.md included, sorted.
fn book_files() -> Vec<PathBuf> {
    let mut all = Vec::new();
    let mut todo = vec![root().join("docs/src")];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir:?}: {e}")) {
            let path = entry.unwrap_or_else(|e| panic!("{dir:?}: {e}")).path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|x| x == "md") {
                all.push(path);
            }
        }
    }
    all.sort();
    all
}

/// The text with fenced code blocks and code spans blanked out (newlines kept, so line
/// numbers stay right): what is left is where links and headings are.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut fence: Option<(char, usize)> = None;
    let mut block = String::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let run = |c: char| trimmed.chars().take_while(|&x| x == c).count();
        let opens = ['`', '~'].into_iter().find(|&c| run(c) >= 3);
        match (fence, opens) {
            (None, Some(c)) => {
                out.push_str(&strip_code_spans(&block));
                block.clear();
                fence = Some((c, run(c)));
                out.push('\n');
            }
            (Some((c, n)), _) => {
                if run(c) >= n && trimmed[run(c)..].trim().is_empty() {
                    fence = None;
                }
                out.push('\n');
            }
            (None, None) => block.push_str(line),
        }
    }
    out.push_str(&strip_code_spans(&block));
    out
}

/// Blanks every code span (a run of backticks up to the next run of the same length) but
/// keeps its newlines; a run with no closing one is literal text.
fn strip_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run_at(i);
        let mut j = i + n;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let m = run_at(j);
                if m == n {
                    close = Some(j);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        if let Some(j) = close {
            for &c in &chars[i..j + n] {
                out.push(if c == '\n' { '\n' } else { ' ' });
            }
            i = j + n;
        } else {
            out.extend(&chars[i..i + n]);
            i += n;
        }
    }
    out
}

/// The heading id GitHub and mdBook give a heading's text: the link texts kept, the rest of
/// the markup dropped, lower case, punctuation other than `-` and `_` dropped, spaces as `-`.
fn heading_id(text: &str) -> String {
    let mut plain = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](").map(|m| open + m) else {
            break;
        };
        let Some(end) = rest[mid..].find(')').map(|e| mid + e) else {
            break;
        };
        plain.push_str(&rest[..open]);
        plain.push_str(&rest[open + 1..mid]);
        rest = &rest[end + 1..];
    }
    plain.push_str(rest);
    plain
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The ids of a file's headings (ATX headings outside code), a repeated id numbered `-1`,
/// `-2`, ... as GitHub and mdBook do.
fn heading_ids(text: &str) -> BTreeSet<String> {
    let raw = text.split('\n');
    let code_free = prose(text);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for (line, blanked) in raw.zip(code_free.split('\n')) {
        let hashes = blanked.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !blanked[hashes..].starts_with(' ') {
            continue;
        }
        // The id comes from the heading's own text, code spans included.
        let title = line[hashes..].trim().trim_end_matches('#').trim();
        let id = heading_id(title);
        let n = seen.entry(id.clone()).or_insert(0);
        ids.insert(if *n == 0 { id } else { format!("{id}-{n}") });
        *n += 1;
    }
    ids
}

/// The inline link targets of a Markdown text, outside code, with their line numbers.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in prose(text).split('\n').enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find([')', ' ']).unwrap_or(after.len());
            found.push((number + 1, after[..end].to_string()));
            rest = &after[end..];
        }
    }
    found
}

fn is_external(target: &str) -> bool {
    let scheme = target.split(':').next().unwrap_or("");
    target.contains(':')
        && !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
}

/// `a/b/../c` as `a/c`, without asking the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn readme_is_a_landing_page_that_keeps_the_quick_start() {
    let text = read(&root().join("README.md"));
    let lines = text.lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines, more than {README_MAX_LINES}: move the reference into a chapter of docs/src"
    );
    // The quick start's two commands, each on a line of its own (a comment may follow).
    for command in ["lab/quickstart", "bash .ci/run"] {
        assert!(
            text.lines()
                .any(|l| l.split('#').next().is_some_and(|c| c.trim() == command)),
            "README.md's quick start lost the command {command:?}"
        );
    }
}

#[test]
fn summary_lists_every_chapter_and_only_chapters_that_exist() {
    let src = root().join("docs/src");
    let summary_path = src.join("SUMMARY.md");
    let summary = read(&summary_path);
    let mut listed = BTreeSet::new();
    for (line, target) in links(&summary) {
        assert!(
            !is_external(&target) && !target.contains('#'),
            "SUMMARY.md:{line}: {target:?} is not a chapter file"
        );
        let path = normalize(&src.join(&target));
        assert!(path.is_file(), "SUMMARY.md:{line}: {target} does not exist");
        assert!(
            listed.insert(path),
            "SUMMARY.md:{line}: {target} is listed twice"
        );
    }
    let unlisted: Vec<String> = book_files()
        .into_iter()
        .filter(|p| *p != summary_path && !listed.contains(p))
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        unlisted.is_empty(),
        "not in docs/src/SUMMARY.md: {unlisted:?}"
    );
}

#[test]
fn relative_links_reach_files_and_headings() {
    let mut files = vec![root().join("README.md")];
    files.extend(book_files());
    let mut ids_of: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = read(file);
        let shown = file
            .strip_prefix(root())
            .unwrap_or(file)
            .display()
            .to_string();
        for (line, target) in links(&text) {
            if is_external(&target) {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let dest = if path.is_empty() {
                file.clone()
            } else {
                normalize(&file.parent().unwrap_or(Path::new("/")).join(path))
            };
            if !dest.exists() {
                broken.push(format!(
                    "{shown}:{line}: {target}: no file {}",
                    dest.display()
                ));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            if dest.extension().is_none_or(|x| x != "md") {
                broken.push(format!(
                    "{shown}:{line}: {target}: an anchor into a file that is not Markdown"
                ));
                continue;
            }
            let ids = ids_of
                .entry(dest.clone())
                .or_insert_with(|| heading_ids(&read(&dest)));
            if !ids.contains(anchor) {
                broken.push(format!(
                    "{shown}:{line}: {target}: no heading #{anchor} there"
                ));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} relative links found: is the scan broken?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn heading_ids_follow_github_and_mdbook() {
    assert_eq!(heading_id("What `up` does"), "what-up-does");
    assert_eq!(
        heading_id("`[arbitrator]`: garbd, a member without data"),
        "arbitrator-garbd-a-member-without-data"
    );
    assert_eq!(
        heading_id("Several clusters on one machine (local nodes, no SSH)"),
        "several-clusters-on-one-machine-local-nodes-no-ssh"
    );
    assert_eq!(
        heading_id("FAQ: the seed's questions"),
        "faq-the-seeds-questions"
    );
    assert_eq!(heading_id("`stop-node NODE`"), "stop-node-node");
    assert_eq!(heading_id("See [the lab](lab.md) now"), "see-the-lab-now");
    let ids = heading_ids("# A\n\n```\n# not a heading\n```\n\n## A\n### b_c-d\n");
    let want: BTreeSet<String> = ["a", "a-1", "b_c-d"].map(String::from).into();
    assert_eq!(ids, want);
    assert_eq!(
        links("[a](x.md) `[b](y.md)`\n```\n[c](z.md)\n```\n[d](w.md#h)"),
        [(1, "x.md".to_string()), (5, "w.md#h".to_string())]
    );
}

/// The book is built by mdBook (`mdbook build docs`), not here: the `mdbook` crate as a
/// dev-dependency added more than 90 s to a test build on the 2-core machine. What the build
/// reads is checked instead: book.toml names docs/src, and a chapter missing from disk is an
/// error, never a new empty file.
#[test]
fn book_toml_names_the_sources_and_creates_nothing() {
    let path = root().join("docs/book.toml");
    let config: toml::Table =
        toml::from_str(&read(&path)).unwrap_or_else(|e| panic!("docs/book.toml: {e}"));
    let get = |table: &str, key: &str| config.get(table).and_then(|t| t.get(key)).cloned();
    assert_eq!(get("book", "src"), Some(toml::Value::from("src")));
    assert_eq!(
        get("build", "create-missing"),
        Some(toml::Value::from(false))
    );
    assert!(
        get("book", "title").is_some_and(|t| t.is_str()),
        "docs/book.toml has no [book] title"
    );
}
