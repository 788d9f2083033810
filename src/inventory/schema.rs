//! The inventory's shape: which keys each table has, which are required, and the type of each
//! value. [`check`] walks the whole document against it and reports *every* unknown key, value
//! of the wrong type and missing key, each at its place, where serde's deserialization stops at
//! the first. The raw types (`raw.rs`) accept unknown keys for that reason: this walk reports
//! them. A unit test keeps the two lists of keys equal. Pure.

use std::ops::Range;

use toml_edit::{Item, Table, Value};

use crate::diagnostic::Diagnostic;

/// What a key holds.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Str,
    Int,
    Bool,
    /// An array of strings.
    Strs,
    Table(&'static [Field]),
    /// An array of tables (`[[nodes]]`, or an inline array of inline tables).
    Tables(&'static [Field]),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Field {
    pub key: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn req(key: &'static str, kind: Kind) -> Field {
    Field {
        key,
        kind,
        required: true,
    }
}

const fn opt(key: &'static str, kind: Kind) -> Field {
    Field {
        key,
        kind,
        required: false,
    }
}

use Kind::{Bool, Int, Str, Strs};

/// `RawPorts`.
pub(super) const PORTS: &[Field] = &[
    opt("mysql", Int),
    opt("galera", Int),
    opt("sst", Int),
    opt("ist", Int),
];

/// `RawCluster`, in its fields' order.
pub(super) const CLUSTER: &[Field] = &[
    req("name", Str),
    req("image", Str),
    opt("distribute_image", Bool),
    req("root_password_file", Str),
    req("monitor_password_file", Str),
    opt("monitor_user", Str),
    opt("ports", Kind::Table(PORTS)),
    opt("volume", Str),
    opt("container", Str),
    opt("provider", Str),
    opt("sst_method", Str),
    opt("sst_password_file", Str),
    opt("backup_password_file", Str),
    opt("durability", Str),
    opt("config_dir", Str),
    opt("mariadbd_options", Strs),
    opt("gcache_size", Str),
    opt("network", Str),
];

/// `RawSsh`.
pub(super) const SSH: &[Field] = &[
    opt("user", Str),
    opt("port", Int),
    opt("identity", Str),
    opt("known_hosts", Str),
    opt("config_file", Str),
    opt("sudo", Bool),
];

/// `RawNode`.
pub(super) const NODE: &[Field] = &[
    req("name", Str),
    req("host", Str),
    opt("ssh_user", Str),
    opt("ssh_port", Int),
    opt("ssh_identity", Str),
    opt("ports", Kind::Table(PORTS)),
];

/// `RawHaproxy`.
pub(super) const HAPROXY: &[Field] = &[
    req("host", Str),
    opt("image", Str),
    opt("port", Int),
    opt("stats_port", Int),
    opt("check_port", Int),
    opt("stats_user", Str),
    req("stats_password_file", Str),
    opt("routing", Str),
    opt("donor_fallback", Bool),
    opt("check_bind", Str),
];

/// `RawArbitrator`.
pub(super) const ARBITRATOR: &[Field] = &[req("host", Str), opt("image", Str), opt("port", Int)];

/// `RawTls`.
pub(super) const TLS: &[Field] = &[
    req("enabled", Bool),
    opt("dir", Str),
    opt("ca_cert", Str),
    opt("ca_key", Str),
    opt("require_secure_transport", Bool),
];

/// `RawInventory`: the document.
pub(super) const INVENTORY: &[Field] = &[
    req("cluster", Kind::Table(CLUSTER)),
    opt("ssh", Kind::Table(SSH)),
    opt("nodes", Kind::Tables(NODE)),
    opt("haproxy", Kind::Table(HAPROXY)),
    opt("arbitrator", Kind::Table(ARBITRATOR)),
    opt("tls", Kind::Table(TLS)),
];

/// What the walk found: unknown keys (the rest of the inventory can still be read and
/// validated), and values of the wrong type or missing keys (it cannot).
#[derive(Debug, Default)]
pub(super) struct Findings {
    pub unknown: Vec<Diagnostic>,
    pub structure: Vec<Diagnostic>,
}

impl Findings {
    /// Every finding, in the order of the file.
    pub fn all(self) -> Vec<Diagnostic> {
        let mut all = self.unknown;
        all.extend(self.structure);
        all.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
        all
    }
}

/// Walks `source` against [`INVENTORY`]. `None` when it is not TOML at all (the caller reports
/// the syntax error).
pub(super) fn check(source: &str) -> Option<Findings> {
    let doc = toml_edit::ImDocument::parse(source).ok()?;
    let mut found = Findings::default();
    let entries = table_entries(doc.as_table());
    walk_table(&entries, INVENTORY, "", 0..0, &mut found);
    Some(found)
}

/// A value anywhere in the document: a table's item, a table of an array of tables, or an
/// inline value.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Table(&'a Table),
    Value(&'a Value),
}

/// A table's entries: key, the key's span, value.
type Entries<'a> = Vec<(&'a str, Option<Range<usize>>, Node<'a>)>;

fn table_entries(table: &Table) -> Entries<'_> {
    table
        .iter()
        .map(|(k, item)| {
            (
                k,
                table.key(k).and_then(toml_edit::Key::span),
                Node::Item(item),
            )
        })
        .collect()
}

fn inline_entries(table: &toml_edit::InlineTable) -> Entries<'_> {
    table
        .iter()
        .map(|(k, v)| {
            (
                k,
                table.key(k).and_then(toml_edit::Key::span),
                Node::Value(v),
            )
        })
        .collect()
}

/// What a node is, as far as the shape goes.
enum Shape<'a> {
    Table(Entries<'a>),
    Array(Vec<Node<'a>>),
    Scalar(&'static str),
    Str(&'a str),
    Int(i64),
    Bool(bool),
}

fn shape(node: Node<'_>) -> Shape<'_> {
    match node {
        Node::Item(Item::Table(t)) | Node::Table(t) => Shape::Table(table_entries(t)),
        Node::Item(Item::ArrayOfTables(a)) => Shape::Array(a.iter().map(Node::Table).collect()),
        Node::Item(Item::Value(v)) | Node::Value(v) => match v {
            Value::String(s) => Shape::Str(s.value()),
            Value::Integer(i) => Shape::Int(*i.value()),
            Value::Boolean(b) => Shape::Bool(*b.value()),
            Value::Float(_) => Shape::Scalar("a floating point number"),
            Value::Datetime(_) => Shape::Scalar("a date-time"),
            Value::Array(a) => Shape::Array(a.iter().map(Node::Value).collect()),
            Value::InlineTable(t) => Shape::Table(inline_entries(t)),
        },
        Node::Item(Item::None) => Shape::Scalar("nothing"),
    }
}

/// Where a node is (for a missing key: its table; for a wrong type: its value).
fn span_of(node: Node<'_>) -> Option<Range<usize>> {
    match node {
        Node::Item(Item::Table(t)) | Node::Table(t) => t.span(),
        Node::Item(Item::ArrayOfTables(a)) => a.span(),
        Node::Item(Item::Value(v)) | Node::Value(v) => v.span(),
        Node::Item(Item::None) => None,
    }
}

fn walk_table(
    entries: &Entries<'_>,
    fields: &'static [Field],
    path: &str,
    at: Range<usize>,
    found: &mut Findings,
) {
    for (key, key_span, node) in entries {
        let span = key_span
            .clone()
            .or_else(|| span_of(*node))
            .unwrap_or(at.clone());
        match fields.iter().find(|f| f.key == *key) {
            None => found
                .unknown
                .push(Diagnostic::error(span, "", unknown_field(key, fields))),
            Some(field) => walk(*node, field.kind, &join(path, key), span, found),
        }
    }
    for field in fields.iter().filter(|f| f.required) {
        if !entries.iter().any(|(k, _, _)| *k == field.key) {
            found.structure.push(Diagnostic::error(
                at.clone(),
                path,
                format!("missing field `{}`", field.key),
            ));
        }
    }
}

fn walk(node: Node<'_>, kind: Kind, path: &str, key_span: Range<usize>, found: &mut Findings) {
    let at = span_of(node).unwrap_or(key_span);
    let shape = shape(node);
    let wrong = |expected: &str, found: &mut Findings| {
        found.structure.push(Diagnostic::error(
            at.clone(),
            path,
            format!("invalid type: {}, expected {expected}", unexpected(&shape)),
        ));
    };
    match (kind, &shape) {
        (Kind::Str, Shape::Str(_)) | (Kind::Int, Shape::Int(_)) | (Kind::Bool, Shape::Bool(_)) => {}
        (Kind::Str, _) => wrong("a string", found),
        (Kind::Int, _) => wrong("an integer", found),
        (Kind::Bool, _) => wrong("a boolean (true or false)", found),
        (Kind::Strs, Shape::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                walk(*item, Kind::Str, &format!("{path}[{i}]"), at.clone(), found);
            }
        }
        (Kind::Strs, _) => wrong("an array of strings", found),
        (Kind::Table(fields), Shape::Table(entries)) => {
            walk_table(entries, fields, path, at.clone(), found);
        }
        (Kind::Table(_), _) => wrong("a table", found),
        (Kind::Tables(fields), Shape::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                walk(
                    *item,
                    Kind::Table(fields),
                    &format!("{path}[{i}]"),
                    at.clone(),
                    found,
                );
            }
        }
        (Kind::Tables(_), _) => wrong("an array of tables", found),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// serde's words for what was found instead.
fn unexpected(shape: &Shape<'_>) -> String {
    match shape {
        Shape::Table(_) => "a table".to_string(),
        Shape::Array(_) => "an array".to_string(),
        Shape::Scalar(what) => what.to_string(),
        Shape::Str(s) => format!("string {}", super::rules::shown(s)),
        Shape::Int(i) => format!("integer `{i}`"),
        Shape::Bool(b) => format!("boolean `{b}`"),
    }
}

/// serde's message for an unknown key (the tests and operators know it).
fn unknown_field(key: &str, fields: &[Field]) -> String {
    let names: Vec<String> = fields.iter().map(|f| format!("`{}`", f.key)).collect();
    let expected = match names.as_slice() {
        [] => return format!("unknown field `{key}`, there are no fields"),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", names.join(", ")),
    };
    format!("unknown field `{key}`, expected {expected}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::raw;

    /// The field names serde knows for `T`: a deserializer that only records what
    /// `deserialize_struct` is asked for.
    fn fields_of<'de, T: serde::Deserialize<'de>>() -> Vec<&'static str> {
        use serde::de::{self, Visitor};
        struct Recorder<'a>(&'a mut Vec<&'static str>);
        impl<'de> de::Deserializer<'de> for Recorder<'_> {
            type Error = de::value::Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(de::Error::custom("not a struct"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Self::Error> {
                self.0.extend_from_slice(fields);
                Err(de::Error::custom("recorded"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        let mut fields = Vec::new();
        let _ = T::deserialize(Recorder(&mut fields));
        fields
    }

    fn keys(fields: &[Field]) -> Vec<&'static str> {
        fields.iter().map(|f| f.key).collect()
    }

    /// The shape lists exactly the raw types' fields, in their order (serde's "expected one
    /// of" order): a field added to one and not the other fails here.
    #[test]
    fn the_shape_has_the_raw_types_fields() {
        assert_eq!(keys(INVENTORY), fields_of::<raw::RawInventory>());
        assert_eq!(keys(CLUSTER), fields_of::<raw::RawCluster>());
        assert_eq!(keys(PORTS), fields_of::<raw::RawPorts>());
        assert_eq!(keys(SSH), fields_of::<raw::RawSsh>());
        assert_eq!(keys(NODE), fields_of::<raw::RawNode>());
        assert_eq!(keys(HAPROXY), fields_of::<raw::RawHaproxy>());
        assert_eq!(keys(ARBITRATOR), fields_of::<raw::RawArbitrator>());
        assert_eq!(keys(TLS), fields_of::<raw::RawTls>());
    }

    fn messages(source: &str) -> Vec<String> {
        check(source)
            .map(Findings::all)
            .unwrap_or_default()
            .iter()
            .map(|d| {
                let at = d.span.clone().unwrap_or(0..0);
                format!(
                    "{}@{}: {}: {}",
                    &source[at.clone()],
                    at.start,
                    d.key,
                    d.message
                )
            })
            .collect()
    }

    #[test]
    fn every_unknown_key_wrong_type_and_missing_key_is_found() {
        let source = "nodes = [{ name = \"a\", host = \"h\", colour = 1 }, 3]\n\
                      [cluster]\nname = 1\nimage = \"i\"\nroot_password_file = \"r\"\nmonitor_password_file = \"m\"\n\
                      mariadbd_options = [\"--x=1\", true]\nshape = 2\n[cluster.ports]\nmysql = \"a\"\nweb = 80\n\
                      [tls]\n";
        assert_eq!(
            messages(source),
            vec![
                "colour@35: : unknown field `colour`, expected one of `name`, `host`, `ssh_user`, `ssh_port`, `ssh_identity`, `ports`".to_string(),
                "3@49: nodes[1]: invalid type: integer `3`, expected a table".to_string(),
                "1@69: cluster.name: invalid type: integer `1`, expected a string".to_string(),
                "true@165: cluster.mariadbd_options[1]: invalid type: boolean `true`, expected a string".to_string(),
                "shape@171: : unknown field `shape`, expected one of `name`, `image`, `distribute_image`, `root_password_file`, `monitor_password_file`, `monitor_user`, `ports`, `volume`, `container`, `provider`, `sst_method`, `sst_password_file`, `backup_password_file`, `durability`, `config_dir`, `mariadbd_options`, `gcache_size`, `network`".to_string(),
                "\"a\"@205: cluster.ports.mysql: invalid type: string \"a\", expected an integer".to_string(),
                "web@209: : unknown field `web`, expected one of `mysql`, `galera`, `sst`, `ist`".to_string(),
                "[tls]@218: tls: missing field `enabled`".to_string(),
            ]
        );
    }

    #[test]
    fn a_valid_inventory_has_no_finding_and_bad_toml_is_left_to_the_parser() {
        let example = include_str!("../../inventory.example.toml");
        assert!(messages(example).is_empty(), "{:?}", messages(example));
        assert!(check("[cluster\nname = 1").is_none());
        // No [cluster] at all: at the start of the file.
        assert_eq!(
            messages("[ssh]\nuser = \"u\"\n"),
            vec!["@0: : missing field `cluster`".to_string()]
        );
    }
}
