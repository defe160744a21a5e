//! Which service owns which Postgres table: the one list DESIGN §4 follows.
//!
//! A service's SQL names only its own tables; what it needs of another service's data it asks
//! for over gRPC (keeping a copy when it must, as accounting does of a closed day's orders) or
//! keeps a copy of from the events it consumes. The test below reads every
//! service's sources and fails on a SQL string that names a table of another service, and on a
//! table created in `migrations/` that is missing here.

/// Tables every service that uses `platform::bus` has one of (the outbox it writes its events
/// to, the processed-event keys of its consumers).
pub const PER_SERVICE: &[&str] = &["outbox", "processed_event"];

/// `(table, owning service)`; the service names are the crate directories under `services/`.
pub const OWNERS: &[(&str, &str)] = &[
    ("store", "store"),
    ("store_account", "store"),
    ("store_location", "store"),
    ("day_business", "store"),
    ("business_history", "store"),
    ("menu_category", "store"),
    ("menu_item", "store"),
    ("menu_category_item", "store"),
    ("menu_option", "store"),
    ("menu_selection", "store"),
    ("menu_selection_option", "store"),
    ("menu_item_selection", "store"),
    ("menu_option_category", "store"),
    ("menu_option_category_selection", "store"),
    ("menu_version", "store"),
    // Kept from the order.placed events the store consumes (group `recent-stores`).
    ("customer_recent_store", "store"),
    ("customer", "order"),
    ("customer_order", "order"),
    ("order_item", "order"),
    ("order_item_option", "order"),
    ("order_payment", "order"),
    // Order's own row per business day: sealed by the store's close, locked by approvals.
    ("order_day", "order"),
    // How each store accepts its orders (default preparation time, 바쁨, auto-accept).
    ("order_accept_setting", "order"),
    // 나만의 메뉴: items with options customers saved per store.
    ("customer_favourite", "order"),
    // The day stream as accounting archived it; only accounting writes and reads it.
    ("order_history", "accounting"),
    ("accounting_day_business", "accounting"),
    ("accounting_order", "accounting"),
    // The lines of a closed day's orders, copied from order's ListDayBooks at reconciliation.
    ("accounting_order_line", "accounting"),
    ("alert_delivery", "chatbot-skill"),
];

/// The service that owns `table`; `None` for a per-service table or an unknown one.
pub fn owner(table: &str) -> Option<&'static str> {
    OWNERS
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, service)| *service)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The string literals of Rust source: plain ("…" with escapes) and raw (r#"…"#), comments
    /// and char literals skipped.
    fn string_literals(source: &str) -> Vec<String> {
        let bytes = source.as_bytes();
        let mut literals = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                        i += 1;
                    }
                    i += 2;
                }
                b'\'' => {
                    // A char literal ('a', '\n', '"') or a lifetime ('a).
                    if bytes.get(i + 1) == Some(&b'\\') {
                        i += 2;
                        while i < bytes.len() && bytes[i] != b'\'' {
                            i += 1;
                        }
                        i += 1;
                    } else if bytes.get(i + 2) == Some(&b'\'') {
                        i += 3;
                    } else {
                        i += 1;
                    }
                }
                b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#'))
                    && (i == 0
                        || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
                {
                    let mut j = i + 1;
                    let mut hashes = 0;
                    while bytes.get(j) == Some(&b'#') {
                        hashes += 1;
                        j += 1;
                    }
                    if bytes.get(j) != Some(&b'"') {
                        i += 1;
                        continue;
                    }
                    let start = j + 1;
                    let close = format!("\"{}", "#".repeat(hashes));
                    let end = source[start..]
                        .find(&close)
                        .map_or(bytes.len(), |n| start + n);
                    literals.push(source[start..end].to_owned());
                    i = end + close.len();
                }
                b'"' => {
                    let start = i + 1;
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    literals.push(source[start..i.min(bytes.len())].to_owned());
                    i += 1;
                }
                _ => i += 1,
            }
        }
        literals
    }

    /// The tables a SQL string names: the identifier after FROM, JOIN, INTO, UPDATE or TABLE
    /// (schema-qualified names count by their table part). Strings without SQL give none.
    fn tables_named(sql: &str) -> Vec<String> {
        let words: Vec<&str> = sql
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .filter(|w| !w.is_empty())
            .collect();
        let mut tables = Vec::new();
        for pair in words.windows(2) {
            if matches!(pair[0], "FROM" | "JOIN" | "INTO" | "UPDATE" | "TABLE") {
                let name = pair[1].rsplit('.').next().unwrap_or(pair[1]);
                tables.push(name.to_owned());
            }
        }
        tables
    }

    /// Every `(service, file, table)` where a service's SQL names a table it does not own.
    fn foreign_tables() -> BTreeSet<(String, String, String)> {
        let services = root().join("services");
        let mut found = BTreeSet::new();
        for entry in std::fs::read_dir(&services).unwrap() {
            let dir = entry.unwrap().path();
            let service = dir.file_name().unwrap().to_str().unwrap().to_owned();
            let src = dir.join("src");
            if !src.is_dir() {
                continue;
            }
            let mut files = Vec::new();
            rust_files(&src, &mut files);
            for file in files {
                let source = std::fs::read_to_string(&file).unwrap();
                let relative = file
                    .strip_prefix(&src)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                for literal in string_literals(&source) {
                    for table in tables_named(&literal) {
                        if owner(&table).is_some_and(|o| o != service) {
                            found.insert((service.clone(), relative.clone(), table));
                        }
                    }
                }
            }
        }
        found
    }

    #[test]
    fn no_service_names_a_table_of_another() {
        let found = foreign_tables();
        assert!(
            found.is_empty(),
            "SQL naming another service's table (service, file, table); ask the owner over \
             gRPC or keep a copy from its events instead: {found:#?}"
        );
    }

    #[test]
    fn every_table_in_the_migrations_has_one_owner() {
        let mut created = BTreeSet::new();
        for entry in std::fs::read_dir(root().join("migrations")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "sql") {
                continue;
            }
            let sql = std::fs::read_to_string(&path).unwrap();
            let words: Vec<&str> = sql.split_whitespace().collect();
            for w in words.windows(3) {
                if w[0] == "CREATE" && w[1] == "TABLE" {
                    let name = w[2].trim_end_matches('(');
                    created.insert(name.rsplit('.').next().unwrap().to_owned());
                }
            }
        }
        let listed: BTreeSet<String> = OWNERS
            .iter()
            .map(|(t, _)| *t)
            .chain(PER_SERVICE.iter().copied())
            .map(str::to_owned)
            .collect();
        assert_eq!(
            created, listed,
            "tables in migrations/ vs the ownership list"
        );
        let mut seen = BTreeSet::new();
        for (table, _) in OWNERS {
            assert!(seen.insert(*table), "{table} is listed twice");
        }
    }

    #[test]
    fn the_scanner_finds_tables_in_sql_strings_only() {
        let source = r####"
            // FROM store in a comment
            let c = '"';
            sqlx::query("SELECT d.state FROM day_business d JOIN store s ON s.id = d.store_id \
                 WHERE x");
            sqlx::query(r#"INSERT INTO customer_order (id) VALUES ($1)"#);
            let msg = "a store FROM nowhere";
        "####;
        let tables: Vec<String> = string_literals(source)
            .iter()
            .flat_map(|l| tables_named(l))
            .collect();
        assert_eq!(
            tables,
            ["day_business", "store", "customer_order", "nowhere"]
        );
    }
}
