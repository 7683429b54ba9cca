//! Names for downloaded files: the one a server gives in `Content-Disposition`,
//! and any name from elsewhere made safe as a plain file name in a directory, on
//! Unix and Windows alike.

/// The file name from a `Content-Disposition` header, made safe with
/// [`safe_file_name`].
pub fn filename_from_content_disposition(header: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for part in header.split(';').map(str::trim) {
        if let Some(value) = part.strip_prefix("filename*=") {
            // RFC 5987: charset'lang'percent-encoded
            let encoded = value.splitn(3, '\'').nth(2).unwrap_or(value);
            extended = Some(
                percent_encoding::percent_decode_str(encoded)
                    .decode_utf8_lossy()
                    .into_owned(),
            );
        } else if let Some(value) = part.strip_prefix("filename=") {
            plain = Some(value.trim_matches('"').to_string());
        }
    }
    extended.or(plain).and_then(|name| safe_file_name(&name))
}

/// Names Windows reserves for devices, with any extension (`NUL.pdf` is `NUL`).
const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
    "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8",
    "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// The longest name kept, in bytes (file systems allow 255).
const MAX_NAME_BYTES: usize = 200;

/// A name from elsewhere (a server, an uploader) made safe as a plain file name in a
/// directory, on Unix and Windows alike: the last path component only; characters
/// Windows forbids (`<>:"|?*`, which also rules out drive prefixes like `C:x` and
/// `:` streams) and control characters replaced by `_`; no leading dots or spaces
/// (no hidden files, no `..`), no trailing dots or spaces; device names such as
/// `CON` or `NUL.pdf` prefixed with `_`; at most 200 bytes. `None` when nothing usable
/// is left.
///
/// ```
/// use carbon_ext::download::safe_file_name;
///
/// assert_eq!(safe_file_name("../../etc/passwd").as_deref(), Some("passwd"));
/// assert_eq!(safe_file_name("C:traveler.pdf").as_deref(), Some("C_traveler.pdf"));
/// assert_eq!(safe_file_name("NUL.pdf").as_deref(), Some("_NUL.pdf"));
/// assert_eq!(safe_file_name(".."), None);
/// ```
pub fn safe_file_name(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let replaced: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = replaced
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let mut end = trimmed.len().min(MAX_NAME_BYTES);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    let name = trimmed[..end].trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if name.is_empty() {
        return None;
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        return Some(format!("_{name}"));
    }
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn content_disposition_names() {
        assert_eq!(
            filename_from_content_disposition(r#"attachment; filename="traveler.pdf""#).as_deref(),
            Some("traveler.pdf")
        );
        assert_eq!(
            filename_from_content_disposition("attachment; filename=plain.stl").as_deref(),
            Some("plain.stl")
        );
        assert_eq!(
            filename_from_content_disposition(r#"attachment; filename="x.pdf"; filename*=UTF-8''tr%C3%A4veler.pdf"#)
                .as_deref(),
            Some("träveler.pdf")
        );
        assert_eq!(
            filename_from_content_disposition(r#"attachment; filename="../../etc/passwd""#).as_deref(),
            Some("passwd")
        );
        assert_eq!(filename_from_content_disposition(r#"attachment; filename="..""#), None);
        assert_eq!(filename_from_content_disposition("inline"), None);
        assert_eq!(
            filename_from_content_disposition(r#"attachment; filename=".bashrc""#).as_deref(),
            Some("bashrc")
        );
        assert_eq!(
            filename_from_content_disposition("attachment; filename*=UTF-8''..%2F..%2Fx%00y.pdf").as_deref(),
            Some("x_y.pdf")
        );
    }

    #[test]
    fn hostile_names_become_plain_names_inside_the_directory() {
        let table: &[(&str, Option<&str>)] = &[
            ("traveler.pdf", Some("traveler.pdf")),
            ("../../etc/passwd", Some("passwd")),
            ("..\\..\\Windows\\win.ini", Some("win.ini")),
            ("C:x", Some("C_x")),
            ("C:\\boot.ini", Some("boot.ini")),
            ("c:", Some("c_")),
            ("report.pdf:secret", Some("report.pdf_secret")),
            ("file::$DATA", Some("file__$DATA")),
            ("CON", Some("_CON")),
            ("nul.pdf", Some("_nul.pdf")),
            ("Com1.txt", Some("_Com1.txt")),
            ("LPT9", Some("_LPT9")),
            ("CONIN$", Some("_CONIN$")),
            ("console.log", Some("console.log")),
            ("name. . .", Some("name")),
            ("name   ", Some("name")),
            ("  .hidden", Some("hidden")),
            ("a<b>c|d?e*f\"g", Some("a_b_c_d_e_f_g")),
            ("tab\there\n", Some("tab_here_")),
            ("..", None),
            (".", None),
            ("", None),
            ("   ", None),
            ("dir/", None),
            (". .", None),
        ];
        for (input, expected) in table {
            let got = safe_file_name(input);
            assert_eq!(got.as_deref(), *expected, "{input:?}");
            if let Some(name) = got {
                let dir = Path::new("/downloads");
                let joined = dir.join(&name);
                assert_eq!(joined.parent(), Some(dir), "{input:?} left the directory");
                assert!(!name.contains(['/', '\\', ':']), "{input:?}");
                assert!(!name.ends_with(['.', ' ']), "{input:?}");
            }
        }
        let long = "x".repeat(300) + ".pdf";
        assert!(safe_file_name(&long).unwrap().len() <= 200);
        let wide = "é".repeat(150);
        let cut = safe_file_name(&wide).unwrap();
        assert!(cut.len() <= 200 && cut.chars().all(|c| c == 'é'));
    }
}
