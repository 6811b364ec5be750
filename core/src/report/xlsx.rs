//! The xlsx workbook of a report ([`Report::to_xlsx`]): rust_xlsxwriter writes the file, this
//! module only lays the tables of [`super::export`] out, one sheet each.

use super::Report;
use super::export::{Cell, ReportTable};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// Excel refuses longer text in a cell; longer text (a failure message can be 64 KiB) is cut there
/// and ends with `…`.
pub(crate) const MAX_CELL_CHARS: usize = 32_767;

/// The workbook as bytes.
pub(crate) fn workbook(report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for table in ReportTable::ALL {
        let sheet = book.add_worksheet();
        sheet.set_name(table.sheet_name())?;
        for (c, header) in table.headers().iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *header, &bold)?;
        }
        for (r, row) in report.rows(table).iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) => {
                        sheet.write_string(r, c, cut(s))?;
                    }
                    Cell::Int(i) => {
                        sheet.write_number(r, c, *i as f64)?;
                    }
                    Cell::Float(f) => {
                        sheet.write_number(r, c, *f)?;
                    }
                    Cell::Bool(b) => {
                        sheet.write_boolean(r, c, *b)?;
                    }
                    Cell::Time(t) => {
                        sheet.write_datetime_with_format(r, c, t.naive_utc(), &time)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofit();
    }
    book.save_to_buffer()
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_CELL_CHARS {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX_CELL_CHARS - 1).collect();
    out.push('…');
    out
}
