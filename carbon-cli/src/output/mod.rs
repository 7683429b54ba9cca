//! Printing records: a table for people (a few chosen columns, or every field with
//! `-o wide`), JSON, JSON lines or CSV for programs; `--fields` picks and orders
//! fields in every format. Field names are the API's, nested ones as dotted paths
//! (`status.printer_state`). Lists are written as they arrive, except tables, which
//! need every row to size their columns. A reader that goes away (`| head`) ends
//! the command quietly: see [`is_broken_pipe`].

mod columns;
mod table;

use std::io::{IsTerminal, Write};

use serde_json::Value;

use carbon_ext::extras::Operation;
use columns::{cell, default_columns, flatten, lookup, project, readable_time};

/// How records are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, a few chosen per resource, fitted to the terminal.
    Table,
    /// Aligned columns, every field (nested ones flattened).
    Wide,
    /// One JSON document (an array for lists).
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header row.
    Csv,
}

/// What a command prints with: the format, the fields asked for, the room a table
/// has.
#[derive(Debug, Clone)]
pub struct Style {
    /// The format.
    pub format: Format,
    /// `--fields`: these fields, in this order, in every format.
    pub fields: Option<Vec<String>>,
    /// The columns a table may take (the terminal's width, or `COLUMNS`).
    pub width: Option<usize>,
    /// Whether the format was asked for (`-o`) rather than chosen for the terminal.
    pub asked: bool,
}

impl Style {
    /// The style for standard output: the format asked for, else a table on a
    /// terminal and JSON lines when piped; tables fit the terminal (or `COLUMNS`).
    /// `--fields` with no field in it is refused.
    pub fn for_stdout(format: Option<Format>, fields: Option<&str>) -> Result<Self, String> {
        let terminal = std::io::stdout().is_terminal();
        let width = if terminal {
            console::Term::stdout()
                .size_checked()
                .map(|(_, columns)| columns as usize)
        } else {
            None
        }
        .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok());
        let fields: Option<Vec<String>> = fields.map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect()
        });
        if fields.as_ref().is_some_and(Vec::is_empty) {
            return Err("--fields: name the fields to print, such as --fields serial,status.printer_state".into());
        }
        Ok(Style {
            format: format.unwrap_or(if terminal { Format::Table } else { Format::Ndjson }),
            fields,
            width,
            asked: format.is_some(),
        })
    }

    /// The `--fields` whose first part is none of `item_fields` (a list's record
    /// fields): such a column could only ever be empty.
    pub fn unknown_fields(&self, item_fields: &[&str]) -> Vec<String> {
        if item_fields.is_empty() {
            return Vec::new();
        }
        self.fields
            .iter()
            .flatten()
            .filter(|f| !item_fields.contains(&f.split('.').next().unwrap_or_default()))
            .cloned()
            .collect()
    }

    /// A style in this format with no field selection and no width.
    #[cfg(test)]
    pub fn plain(format: Format) -> Self {
        Style {
            format,
            fields: None,
            width: None,
            asked: true,
        }
    }
}

/// Whether an error is the reader of standard output having gone away.
pub fn is_broken_pipe(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::BrokenPipe
}

/// Writes `bytes` to standard output (for text that is not records: completions,
/// tokens).
pub fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// One CSV line, quoted as needed.
pub fn csv_line<I, T>(fields: I) -> std::io::Result<Vec<u8>>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    writer.write_record(fields).map_err(std::io::Error::other)?;
    writer.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

/// Writes a list of records in one style, one record at a time.
pub struct RecordWriter<W: Write> {
    style: Style,
    /// The columns (dotted paths); empty until the first record when not known.
    columns: Vec<String>,
    /// A table's headings, where they are not the columns' names.
    headings: Option<Vec<String>>,
    /// Whether columns come from the records themselves (every flattened field).
    every_field: bool,
    out: W,
    records: Vec<Value>,
    written: usize,
}

impl<W: Write> RecordWriter<W> {
    /// A writer for a list's records: of `operation` (for a table's chosen
    /// columns) when it is one, with `item_fields` as their top-level fields.
    pub fn new(style: &Style, operation: Option<Operation>, item_fields: &[&str], out: W) -> Self {
        let top_level = || item_fields.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let mut headings = None;
        let (columns, every_field): (Vec<String>, bool) = match (&style.fields, style.format) {
            (Some(fields), _) => (fields.clone(), false),
            (None, Format::Wide) => (Vec::new(), true),
            (None, Format::Table) => match operation.and_then(default_columns) {
                Some(chosen) => {
                    headings = Some(chosen.iter().map(|(_, heading)| heading.to_string()).collect());
                    (chosen.iter().map(|(path, _)| path.to_string()).collect(), false)
                }
                None => (top_level(), false),
            },
            (None, _) => (top_level(), false),
        };
        Self {
            style: style.clone(),
            columns,
            headings,
            every_field,
            out,
            records: Vec::new(),
            written: 0,
        }
    }

    fn row(&self, record: &Value) -> Vec<String> {
        self.columns.iter().map(|c| cell(lookup(record, c))).collect()
    }

    /// Writes one record.
    pub fn write(&mut self, record: &Value) -> std::io::Result<()> {
        if self.columns.is_empty()
            && !self.every_field
            && let Some(object) = record.as_object()
        {
            self.columns = object.keys().cloned().collect();
        }
        match self.style.format {
            Format::Json => {
                let prefix = if self.written == 0 { "[\n  " } else { ",\n  " };
                write!(self.out, "{prefix}{}", json_text(&self.style, record, false))?;
            }
            Format::Ndjson => writeln!(self.out, "{}", json_text(&self.style, record, false))?,
            Format::Csv => {
                if self.written == 0 {
                    self.out.write_all(&csv_line(&self.columns)?)?;
                }
                self.out.write_all(&csv_line(self.row(record))?)?;
            }
            Format::Table | Format::Wide => self.records.push(record.clone()),
        }
        self.written += 1;
        Ok(())
    }

    /// Ends the list (closes the JSON array, prints the table) and flushes.
    pub fn finish(mut self) -> std::io::Result<W> {
        match self.style.format {
            Format::Json if self.written == 0 => writeln!(self.out, "[]")?,
            Format::Json => writeln!(self.out, "\n]")?,
            Format::Csv if self.written == 0 && !self.columns.is_empty() => {
                self.out.write_all(&csv_line(&self.columns)?)?;
            }
            Format::Table | Format::Wide => {
                if self.every_field {
                    self.columns = every_field(&self.records);
                }
                let readable = self.style.format == Format::Table;
                let rows: Vec<Vec<String>> = self
                    .records
                    .iter()
                    .map(|r| {
                        let row = self.row(r);
                        if readable {
                            row.into_iter().map(readable_time).collect()
                        } else {
                            row
                        }
                    })
                    .collect();
                let header: Vec<String> = match &self.headings {
                    Some(headings) => headings.clone(),
                    None => self.columns.iter().map(|c| c.to_uppercase()).collect(),
                };
                let ids: Vec<bool> = self.columns.iter().map(|c| names_an_id(c)).collect();
                table::render(&mut self.out, &header, &rows, &ids, self.style.width)?;
            }
            _ => {}
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Whether a column holds ids (`uuid`, `part_uuid`, `status.model_uuid`), which a
/// table cuts last.
fn names_an_id(column: &str) -> bool {
    let last = column.rsplit('.').next().unwrap_or(column);
    last == "uuid" || last.ends_with("_uuid")
}

/// A record as JSON text, cut down to `--fields` when given.
fn json_text(style: &Style, record: &Value, pretty: bool) -> String {
    let text = match (&style.fields, pretty) {
        (Some(fields), false) => serde_json::to_string(&project(record, fields)),
        (Some(fields), true) => serde_json::to_string_pretty(&project(record, fields)),
        (None, false) => serde_json::to_string(record),
        (None, true) => serde_json::to_string_pretty(record),
    };
    text.unwrap_or_default()
}

/// Every flattened field of these records, `uuid` first, then in the order first
/// seen.
fn every_field(records: &[Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for record in records {
        for (path, _) in flatten(record) {
            if !columns.contains(&path) {
                columns.push(path);
            }
        }
    }
    if let Some(i) = columns.iter().position(|c| c == "uuid") {
        let uuid = columns.remove(i);
        columns.insert(0, uuid);
    }
    columns
}

/// Prints one record (a created order, a fetched part): in a table, one field a
/// line, nested fields flattened.
pub fn print_record(style: &Style, record: &Value, out: &mut impl Write) -> std::io::Result<()> {
    match style.format {
        Format::Json => writeln!(out, "{}", json_text(style, record, true))?,
        Format::Ndjson => writeln!(out, "{}", json_text(style, record, false))?,
        Format::Csv => {
            let mut writer = RecordWriter::new(style, None, &[], &mut *out);
            writer.write(record)?;
            writer.finish()?;
        }
        Format::Table | Format::Wide => {
            let lines: Vec<(String, String)> = match &style.fields {
                Some(fields) => fields.iter().map(|f| (f.clone(), cell(lookup(record, f)))).collect(),
                None if record.is_object() => flatten(record).into_iter().map(|(k, v)| (k, cell(Some(v)))).collect(),
                None => vec![(String::new(), cell(Some(record)))],
            };
            let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
            for (key, value) in lines {
                writeln!(out, "{}", format!("{key:<width$}  {value}").trim_end())?;
            }
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(style: &Style, records: &[Value]) -> String {
        let mut writer = RecordWriter::new(style, None, &["uuid", "status", "tags"], Vec::new());
        for r in records {
            writer.write(r).unwrap();
        }
        String::from_utf8(writer.finish().unwrap()).unwrap()
    }

    #[test]
    fn every_format_keeps_the_api_names_and_quotes_what_needs_it() {
        let records = [
            json!({"uuid": "a", "status": "printing", "tags": {"k": "v"}}),
            json!({"uuid": "b,\"c\"", "status": null}),
        ];
        let plain = Style::plain;
        assert_eq!(
            render(&plain(Format::Csv), &records),
            "uuid,status,tags\na,printing,\"{\"\"k\"\":\"\"v\"\"}\"\n\"b,\"\"c\"\"\",,\n"
        );
        assert_eq!(
            render(&plain(Format::Ndjson), &records).lines().next().unwrap(),
            r#"{"status":"printing","tags":{"k":"v"},"uuid":"a"}"#
        );
        let json = render(&plain(Format::Json), &records);
        assert!(json.ends_with("]\n"), "{json:?}");
        let parsed: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 2);
        assert_eq!(render(&plain(Format::Json), &[]), "[]\n");
        let table = render(&plain(Format::Table), &records);
        assert!(table.starts_with("UUID"), "{table}");
        assert!(table.contains("a      printing"), "{table}");
        assert_eq!(render(&plain(Format::Csv), &[]), "uuid,status,tags\n");
        let wide = render(&plain(Format::Wide), &records);
        assert!(wide.starts_with("UUID") && wide.contains("TAGS.K"), "{wide}");
    }

    #[test]
    fn fields_pick_and_order_in_every_format() {
        let records = [json!({"uuid": "a", "status": {"printer_state": "IDLE"}, "name": "n"})];
        let style = |format| Style {
            format,
            fields: Some(vec!["status.printer_state".into(), "uuid".into()]),
            width: None,
            asked: true,
        };
        assert_eq!(
            render(&style(Format::Csv), &records),
            "status.printer_state,uuid\nIDLE,a\n"
        );
        assert_eq!(
            render(&style(Format::Ndjson), &records),
            "{\"status.printer_state\":\"IDLE\",\"uuid\":\"a\"}\n"
        );
        let reversed = Style {
            fields: Some(vec!["uuid".into(), "name".into()]),
            ..style(Format::Ndjson)
        };
        assert_eq!(render(&reversed, &records), "{\"uuid\":\"a\",\"name\":\"n\"}\n");
        assert_eq!(
            render(&style(Format::Table), &records),
            "STATUS.PRINTER_STATE  UUID\nIDLE                  a\n"
        );
        let mut out = Vec::new();
        print_record(&style(Format::Table), &records[0], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "status.printer_state  IDLE\nuuid                  a\n"
        );
    }
}
