//! Which service owns which Postgres table: the one list DESIGN §4 follows.
//!
//! A service's SQL names only its own tables; what it needs of another service's data it asks
//! for over gRPC (keeping a copy when it must, as accounting does of a closed day's orders) or
//! keeps a copy of from the events it consumes; its tests too, which write and read another
//! service's data through that service (its API, or its `testing` module). The tests below read
//! every service's sources and tests and fail on a SQL string that names a table of another
//! service, and check where `migrations/` creates each table.

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

/// `(service, its Postgres schema)` for each service that keeps tables: every table lives in
/// its owner's schema (order's is `ordering`, since ORDER is a keyword).
pub const SCHEMAS: &[(&str, &str)] = &[
    ("store", "store"),
    ("order", "ordering"),
    ("accounting", "accounting"),
    ("chatbot-skill", "chatbot"),
];

/// The schema of `service`'s tables; `None` for a service that keeps nothing in Postgres.
pub fn schema(service: &str) -> Option<&'static str> {
    SCHEMAS
        .iter()
        .find(|(s, _)| *s == service)
        .map(|(_, schema)| *schema)
}

/// Migrations from this number on name every table, index and sequence they create with its
/// schema; the earlier ones created theirs in `public`, and 0025 moved each to its owner's.
pub const FIRST_QUALIFIED_MIGRATION: u32 = 25;

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
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
            let mut files = Vec::new();
            for part in ["src", "tests"] {
                if dir.join(part).is_dir() {
                    rust_files(&dir.join(part), &mut files);
                }
            }
            for file in files {
                let source = std::fs::read_to_string(&file).unwrap();
                let relative = file
                    .strip_prefix(&dir)
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

    /// `(number, SQL)` of every file in `migrations/`.
    fn migrations() -> Vec<(u32, String)> {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(root().join("migrations")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "sql") {
                continue;
            }
            let name = path.file_name().unwrap().to_str().unwrap();
            let number = name.split('_').next().unwrap().parse().unwrap();
            all.push((number, std::fs::read_to_string(&path).unwrap()));
        }
        all.sort();
        all
    }

    /// The words of SQL without its `--` comments, split at white space, parentheses, commas
    /// and semicolons.
    fn sql_words(sql: &str) -> Vec<&str> {
        sql.lines()
            .map(|line| line.split("--").next().unwrap_or(""))
            .flat_map(|line| line.split(|c: char| c.is_whitespace() || "(),;".contains(c)))
            .filter(|w| !w.is_empty())
            .collect()
    }

    /// `(schema, name)` of a name as SQL writes it; `None` for the schema when unqualified.
    fn qualified(name: &str) -> (Option<&str>, &str) {
        match name.split_once('.') {
            Some((schema, table)) => (Some(schema), table),
            None => (None, name),
        }
    }

    /// What the migrations create and where each table ends: `(table, schema)` once every
    /// `ALTER TABLE … SET SCHEMA` has run, and what breaks the rules of
    /// [`FIRST_QUALIFIED_MIGRATION`] and on: a table, index or sequence created without its
    /// schema, or in a schema that is not its owner's.
    fn placement(migrations: &[(u32, String)]) -> (BTreeMap<String, String>, Vec<String>) {
        let service_schemas: BTreeSet<&str> = SCHEMAS.iter().map(|(_, s)| *s).collect();
        let mut placed = BTreeMap::new();
        let mut problems = Vec::new();
        for (number, sql) in migrations {
            let words = sql_words(sql);
            let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
            let is = |i: usize, word: &str| upper.get(i).is_some_and(|w| w == word);
            let skip_if_not_exists = |mut i: usize| {
                if is(i, "IF") && is(i + 1, "NOT") && is(i + 2, "EXISTS") {
                    i += 3;
                }
                i
            };
            for i in 0..words.len() {
                // (what, the name that must carry the schema, the table whose owner decides)
                let created = if is(i, "CREATE") && is(i + 1, "TABLE") {
                    let name = words.get(skip_if_not_exists(i + 2)).copied();
                    name.map(|n| ("table", n, Some(n)))
                } else if is(i, "CREATE") && is(i + 1, "SEQUENCE") {
                    let name = words.get(skip_if_not_exists(i + 2)).copied();
                    name.map(|n| ("sequence", n, None))
                } else if is(i, "CREATE") && (is(i + 1, "INDEX") || is(i + 1, "UNIQUE")) {
                    // An index lives in its table's schema: the table is what names it.
                    let on = (i..words.len()).find(|&j| is(j, "ON"));
                    let table = on.map(|j| if is(j + 1, "ONLY") { j + 2 } else { j + 1 });
                    let table = table.and_then(|j| words.get(j).copied());
                    table.map(|t| ("index on", t, Some(t)))
                } else {
                    None
                };
                if is(i, "ALTER") && is(i + 1, "TABLE") {
                    let mut j = i + 2;
                    if is(j, "IF") && is(j + 1, "EXISTS") {
                        j += 2;
                    }
                    if is(j + 1, "SET")
                        && is(j + 2, "SCHEMA")
                        && let (Some(name), Some(to)) = (words.get(j), words.get(j + 3))
                    {
                        placed.insert(qualified(name).1.to_owned(), (*to).to_owned());
                    }
                }
                let Some((what, name, table)) = created else {
                    continue;
                };
                let (schema, bare) = qualified(name);
                if what == "table" {
                    placed.insert(bare.to_owned(), schema.unwrap_or("public").to_owned());
                }
                if *number < FIRST_QUALIFIED_MIGRATION {
                    continue;
                }
                let Some(schema) = schema else {
                    problems.push(format!(
                        "{number:04}: {what} {name} without its schema (it would land in public, \
                         where no service's role can see it)"
                    ));
                    continue;
                };
                if !service_schemas.contains(schema) {
                    problems.push(format!("{number:04}: {what} {name}: no service's schema"));
                    continue;
                }
                let owner_schema = table
                    .and_then(|t| owner(qualified(t).1))
                    .and_then(super::schema);
                if owner_schema.is_some_and(|s| s != schema) {
                    problems.push(format!(
                        "{number:04}: {what} {name} in {schema}, its owner's schema is {}",
                        owner_schema.unwrap_or_default()
                    ));
                }
            }
        }
        (placed, problems)
    }

    #[test]
    fn every_table_in_the_migrations_has_one_owner() {
        let (placed, _) = placement(&migrations());
        let created: BTreeSet<String> = placed.into_keys().collect();
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
        for (_, service) in OWNERS {
            assert!(schema(service).is_some(), "{service} has no schema");
        }
    }

    #[test]
    fn every_table_ends_in_its_owners_schema_and_new_ones_are_created_there() {
        let (placed, problems) = placement(&migrations());
        assert!(problems.is_empty(), "{problems:#?}");
        let service_schemas: BTreeSet<&str> = SCHEMAS.iter().map(|(_, s)| *s).collect();
        for (table, schema) in &placed {
            match owner(table) {
                Some(service) => assert_eq!(
                    Some(schema.as_str()),
                    super::schema(service),
                    "{table} of {service}"
                ),
                None => assert!(
                    service_schemas.contains(schema.as_str()),
                    "{table} is in {schema}"
                ),
            }
        }
    }

    #[test]
    fn a_new_migration_naming_no_schema_or_another_owners_is_refused() {
        let earlier = (
            24,
            "CREATE TABLE menu_tag (id uuid PRIMARY KEY);".to_owned(),
        );
        let (placed, problems) = placement(std::slice::from_ref(&earlier));
        assert!(
            problems.is_empty(),
            "before 0025 tables were made in public: {problems:?}"
        );
        assert_eq!(placed["menu_tag"], "public");

        let new = |sql: &str| placement(&[(27, sql.to_owned())]).1;
        assert_eq!(
            new("-- A note.\nCREATE TABLE IF NOT EXISTS menu_tag (id uuid PRIMARY KEY);").len(),
            1
        );
        assert_eq!(
            new("CREATE INDEX menu_item_tag ON menu_item (store_id);").len(),
            1
        );
        assert_eq!(new("CREATE SEQUENCE ticket_number;").len(), 1);
        assert_eq!(new("CREATE TABLE public.menu_tag (id int);").len(), 1);
        assert_eq!(
            new("CREATE UNIQUE INDEX IF NOT EXISTS x ON ONLY ordering.menu_item (id);").len(),
            1,
            "the store's table in order's schema"
        );
        assert!(
            new(
                "CREATE TABLE store.menu_tag (LIKE store.menu_item INCLUDING ALL);\n\
                 CREATE INDEX menu_tag_store ON store.menu_item (store_id);\n\
                 CREATE SEQUENCE IF NOT EXISTS ordering.ticket_number;\n\
                 ALTER TABLE public.outbox SET SCHEMA ordering;"
            )
            .is_empty()
        );
        let (placed, _) = placement(&[
            earlier,
            (
                27,
                "ALTER TABLE public.menu_tag SET SCHEMA store;".to_owned(),
            ),
        ]);
        assert_eq!(placed["menu_tag"], "store");
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
