//! Aligned columns for a person: cells measured as a terminal shows them (a wide
//! character takes two columns), one line per cell, fitted to a width by cutting
//! the widest columns first.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The widest a cell gets before it is cut, whatever room there is.
const MAX_CELL: usize = 48;
/// The narrowest a column is cut to when fitting a table to the terminal.
const MIN_COLUMN: usize = 8;
/// Between two columns.
const GAP: &str = "  ";

/// `text` on one line, at most `width` columns wide (cut with `…`).
pub fn fit(text: &str, width: usize) -> String {
    let one_line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if one_line.width() <= width {
        return one_line;
    }
    let mut kept = String::new();
    let mut used = 0;
    for c in one_line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        kept.push(c);
        used += w;
    }
    kept.push('…');
    kept
}

/// The column widths for these rows under `header`, narrowed to fit `room`
/// columns when given: first the columns whose values are wider than their
/// heading (descriptions, times), widest first, down to the heading; then any
/// column down to a floor; ids (`keep`) last, since a cut id names nothing.
fn widths(header: &[String], rows: &[Vec<String>], keep: &[bool], room: Option<usize>) -> Vec<usize> {
    let headings: Vec<usize> = header.iter().map(|h| h.width().min(MAX_CELL)).collect();
    let mut widths = headings.clone();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width().min(MAX_CELL));
        }
    }
    let Some(room) = room else { return widths };
    let total = |w: &[usize]| w.iter().sum::<usize>() + GAP.len() * w.len().saturating_sub(1);
    for floor in [Floor::Heading, Floor::Least, Floor::Ids] {
        while total(&widths) > room {
            let kept = |i: usize| keep.get(i).copied().unwrap_or(false);
            let narrowest = |i: usize| match floor {
                Floor::Heading if kept(i) => widths[i],
                Floor::Heading => headings[i].max(MIN_COLUMN),
                Floor::Least if kept(i) => widths[i],
                Floor::Least | Floor::Ids => MIN_COLUMN,
            };
            let widest = (0..widths.len())
                .filter(|&i| widths[i] > narrowest(i))
                .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
            match widest {
                Some(i) => widths[i] -= 1,
                None => break,
            }
        }
    }
    widths
}

/// How far a column may be narrowed in one pass of fitting.
#[derive(Clone, Copy)]
enum Floor {
    /// Not below its heading.
    Heading,
    /// Not below [`MIN_COLUMN`], ids left whole.
    Least,
    /// Ids too, when nothing else is left to narrow.
    Ids,
}

/// Writes a header line and the rows, aligned, within `room` columns if given;
/// the columns marked in `keep` (ids) are cut last.
pub fn render(
    out: &mut impl std::io::Write,
    header: &[String],
    rows: &[Vec<String>],
    keep: &[bool],
    room: Option<usize>,
) -> std::io::Result<()> {
    let widths = widths(header, rows, keep, room);
    let line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                text.push_str(GAP);
            }
            let shown = fit(cell, *width);
            let pad = width.saturating_sub(shown.width());
            text.push_str(&shown);
            text.extend(std::iter::repeat_n(' ', pad));
        }
        text.trim_end().to_string()
    };
    writeln!(out, "{}", line(header))?;
    for row in rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(header: &[&str], rows: &[&[&str]], room: Option<usize>) -> String {
        let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
        let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect();
        let mut out = Vec::new();
        let keep: Vec<bool> = header.iter().map(|h| h == "UUID").collect();
        render(&mut out, &header, &rows, &keep, room).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn wide_characters_are_measured_as_shown() {
        let text = table(&["NAME", "STATE"], &[&["プリンタ", "IDLE"], &["ab", "PRINTING"]], None);
        let lines: Vec<&str> = text.lines().collect();
        // "プリンタ" is four characters but eight columns: STATE starts at column 10 on every line.
        let column_of = |line: &str, word: &str| line[..line.find(word).unwrap()].width();
        assert_eq!(column_of(lines[0], "STATE"), 10);
        assert_eq!(column_of(lines[1], "IDLE"), 10);
        assert_eq!(column_of(lines[2], "PRINTING"), 10);
    }

    #[test]
    fn a_table_fits_its_room_by_cutting_the_widest_column() {
        let long = "x".repeat(60);
        let text = table(&["A", "NOTES", "B"], &[&["1", &long, "2"]], Some(40));
        for line in text.lines() {
            assert!(line.width() <= 40, "{line:?} is {} wide", line.width());
        }
        assert!(text.contains('…'), "{text}");
        assert!(text.lines().nth(1).unwrap().ends_with('2'), "{text}");
        // Values wider than their heading give way before any heading is cut,
        // and ids only when nothing else is left.
        let text = table(&["SERIAL_NUMBER", "NOTES"], &[&["SN-1", &"n".repeat(36)]], Some(30));
        assert!(text.starts_with("SERIAL_NUMBER  NOTES"), "{text}");
        assert_eq!(text.lines().nth(1).unwrap().width(), 30, "{text}");
        let uuid = "1cf34076-417e-489f-8863-3438facd4808";
        let text = table(&["NOTES", "UUID"], &[&[&"n".repeat(40), uuid]], Some(60));
        assert!(text.lines().nth(1).unwrap().ends_with(uuid), "{text}");
        let text = table(&["NOTES", "UUID"], &[&[&"n".repeat(40), uuid]], Some(30));
        assert!(text.lines().all(|l| l.width() <= 30), "{text}");
        // Unfitted, a cell is cut only past its own cap.
        let text = table(&["A"], &[&[&long]], None);
        assert_eq!(text.lines().nth(1).unwrap().width(), MAX_CELL);
        assert_eq!(fit("a\nb", 10), "a b");
    }
}
