//! Printing records: a table for people, JSON, JSON lines or CSV for programs.
//! Field names are exactly the API's. Lists are written as they arrive (except the
//! table, which needs every row to size its columns).

use std::io::{IsTerminal, Write};

use serde_json::Value;

/// How records are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, for a terminal.
    Table,
    /// One JSON document (an array for lists).
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Comma-separated values with a header row.
    Csv,
}

impl Format {
    /// The format for standard output when none is asked for: a table on a
    /// terminal, JSON lines when piped.
    pub fn for_stdout() -> Self {
        if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Ndjson
        }
    }
}

/// A cell's text: strings as they are, `null` as nothing, nested values as JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The widest a table cell gets before it is cut.
const MAX_CELL: usize = 48;

fn cut(text: &str) -> String {
    let one_line = text.replace(['\n', '\r', '\t'], " ");
    if one_line.chars().count() <= MAX_CELL {
        one_line
    } else {
        let kept: String = one_line.chars().take(MAX_CELL - 1).collect();
        format!("{kept}…")
    }
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

/// Writes a list of records in one format, one record at a time.
pub struct RecordWriter<W: Write> {
    format: Format,
    columns: Vec<String>,
    out: W,
    rows: Vec<Vec<String>>,
    written: usize,
}

impl<W: Write> RecordWriter<W> {
    /// A writer for records with these columns (empty: the first record's keys).
    pub fn new(format: Format, columns: &[&str], out: W) -> Self {
        Self {
            format,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            out,
            rows: Vec::new(),
            written: 0,
        }
    }

    fn row(&self, record: &Value) -> Vec<String> {
        self.columns.iter().map(|c| cell(record.get(c))).collect()
    }

    /// Writes one record.
    pub fn write(&mut self, record: &Value) -> std::io::Result<()> {
        if self.columns.is_empty()
            && let Some(object) = record.as_object()
        {
            self.columns = object.keys().cloned().collect();
        }
        match self.format {
            Format::Json => {
                let prefix = if self.written == 0 { "[\n  " } else { ",\n  " };
                write!(self.out, "{prefix}{record}")?;
            }
            Format::Ndjson => writeln!(self.out, "{record}")?,
            Format::Csv => {
                if self.written == 0 {
                    self.out.write_all(&csv_line(&self.columns)?)?;
                }
                self.out.write_all(&csv_line(self.row(record))?)?;
            }
            Format::Table => {
                let row = self.row(record).iter().map(|c| cut(c)).collect();
                self.rows.push(row);
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Ends the list (closes the JSON array, prints the table) and flushes.
    pub fn finish(mut self) -> std::io::Result<W> {
        match self.format {
            Format::Json if self.written == 0 => writeln!(self.out, "[]")?,
            Format::Json => writeln!(self.out, "\n]")?,
            Format::Csv if self.written == 0 && !self.columns.is_empty() => {
                self.out.write_all(&csv_line(&self.columns)?)?;
            }
            Format::Table => {
                let mut widths: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
                for row in &self.rows {
                    for (width, cell) in widths.iter_mut().zip(row) {
                        *width = (*width).max(cell.chars().count());
                    }
                }
                let line = |cells: &[String]| {
                    let padded: Vec<String> = cells
                        .iter()
                        .zip(&widths)
                        .map(|(c, w)| format!("{c:<w$}", w = *w))
                        .collect();
                    padded.join("  ").trim_end().to_string()
                };
                let header: Vec<String> = self.columns.iter().map(|c| c.to_uppercase()).collect();
                writeln!(self.out, "{}", line(&header))?;
                for row in &self.rows {
                    writeln!(self.out, "{}", line(row))?;
                }
            }
            _ => {}
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Prints one record (a created order, a fetched part).
pub fn print_record(format: Format, record: &Value, out: &mut impl Write) -> std::io::Result<()> {
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(record).unwrap_or_default())?,
        Format::Ndjson => writeln!(out, "{record}")?,
        Format::Csv => {
            let mut writer = RecordWriter::new(Format::Csv, &[], &mut *out);
            writer.write(record)?;
            writer.finish()?;
        }
        Format::Table => match record.as_object() {
            Some(object) => {
                let width = object.keys().map(|k| k.len()).max().unwrap_or(0);
                for (key, value) in object {
                    writeln!(out, "{key:<width$}  {}", cell(Some(value)))?;
                }
            }
            None => writeln!(out, "{}", cell(Some(record)))?,
        },
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(format: Format, records: &[Value]) -> String {
        let mut writer = RecordWriter::new(format, &["uuid", "status", "tags"], Vec::new());
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
        assert_eq!(
            render(Format::Csv, &records),
            "uuid,status,tags\na,printing,\"{\"\"k\"\":\"\"v\"\"}\"\n\"b,\"\"c\"\"\",,\n"
        );
        assert_eq!(
            render(Format::Ndjson, &records).lines().next().unwrap(),
            r#"{"status":"printing","tags":{"k":"v"},"uuid":"a"}"#
        );
        let parsed: Value = serde_json::from_str(&render(Format::Json, &records)).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 2);
        assert_eq!(render(Format::Json, &[]).trim(), "[]");
        let table = render(Format::Table, &records);
        assert!(table.starts_with("UUID"), "{table}");
        assert!(table.contains("a      printing"), "{table}");
        assert_eq!(render(Format::Csv, &[]), "uuid,status,tags\n");
    }
}
