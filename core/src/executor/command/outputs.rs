//! The `TRAINYARD_OUTPUT` file: created empty (mode 0600) before the child starts, read back
//! after it exited **without following what the child put there** — opened with `O_NOFOLLOW |
//! O_NONBLOCK`, checked with `fstat`, refused unless it is a regular file (a symbolic link, FIFO,
//! socket, device or directory is named in the failure) — reading at most
//! [`super::OUTPUT_FILE_LIMIT`] bytes within [`OUTPUT_READ_WAIT`], and removed afterwards.

use super::OUTPUT_FILE_LIMIT;
use indexmap::IndexMap;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// How long reading the outputs file may take (opening it included) before the job fails: a
/// regular file on a local disk takes microseconds; this bounds a file on a stuck filesystem.
pub const OUTPUT_READ_WAIT: Duration = Duration::from_secs(10);

/// The `TRAINYARD_OUTPUT` file of one job; removed when dropped.
pub(super) struct OutputFile {
    pub(super) path: PathBuf,
}

impl OutputFile {
    /// Creates a fresh, empty file (mode 0600) in the system temp directory.
    pub(super) fn create(job_id: &str) -> std::io::Result<OutputFile> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let safe: String =
            job_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).take(80).collect();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("trainyard-{}-{n}-{safe}.out", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&path)?;
        Ok(OutputFile { path })
    }

    /// Reads and parses the file (see the [module docs](self) for what is refused).
    pub(super) fn read(&self) -> Result<IndexMap<String, Value>, String> {
        let (tx, rx) = mpsc::channel();
        let path = self.path.clone();
        std::thread::Builder::new()
            .name("trainyard-outputs".into())
            .spawn(move || {
                let _ = tx.send(read_regular_file(&path, OUTPUT_FILE_LIMIT));
            })
            .map_err(|e| format!("cannot start reading it: {e}"))?;
        let bytes = match rx.recv_timeout(OUTPUT_READ_WAIT) {
            Ok(read) => read?,
            Err(_) => return Err(format!("reading it took longer than {}s", OUTPUT_READ_WAIT.as_secs())),
        };
        parse_outputs(&String::from_utf8_lossy(&bytes))
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        // Whatever the child left there: a file, a link (removed, not followed), a FIFO, a directory.
        if std::fs::remove_file(&self.path).is_err()
            && std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.file_type().is_dir())
        {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The bytes of the regular file at `path` (at most `limit`), never following a symbolic link and
/// never blocking on a FIFO or device.
fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let before = std::fs::symlink_metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "it is missing (the job removed it)".to_string(),
        _ => format!("cannot inspect it: {e}"),
    })?;
    if !before.file_type().is_file() {
        return Err(not_regular(&before.file_type()));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return "it is not a regular file (it is a symbolic link)".to_string();
        }
        format!("cannot open it: {e}")
    })?;
    // Checked again on what was opened: the child may have swapped the path meanwhile.
    let opened = file.metadata().map_err(|e| format!("cannot inspect it: {e}"))?;
    if !opened.file_type().is_file() {
        return Err(not_regular(&opened.file_type()));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("it is larger than {limit} bytes"));
    }
    Ok(bytes)
}

fn not_regular(kind: &std::fs::FileType) -> String {
    format!("it is not a regular file (it is {})", describe(kind))
}

fn describe(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_char_device() {
            return "a character device";
        }
    }
    if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Parses an outputs file: `name=value` lines, and `name<<DELIM` … `DELIM` blocks for multi-line
/// values (as in GitHub Actions' `GITHUB_OUTPUT`). Values are strings; a later line for the same
/// name wins; blank lines are skipped; `\r\n` line ends are accepted. A line that is neither form,
/// an empty name or an unterminated block is an error naming the line.
///
/// ```
/// let out = trainyard::executor::command::parse_outputs("version=1.2.3\nnotes<<EOF\nline 1\nline 2\nEOF\n").unwrap();
/// assert_eq!(out["version"], "1.2.3");
/// assert_eq!(out["notes"], "line 1\nline 2");
/// ```
pub fn parse_outputs(text: &str) -> Result<IndexMap<String, Value>, String> {
    let mut out = IndexMap::new();
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).enumerate();
    while let Some((i, line)) = lines.next() {
        if line.trim().is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        let is_pair = match (eq, heredoc) {
            (Some(e), Some(h)) => e < h,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if is_pair {
            let (name, value) = line.split_once('=').unwrap_or((line, ""));
            let name = name.trim();
            if name.is_empty() {
                return Err(format!("line {}: an output needs a name before `=`", i + 1));
            }
            out.insert(name.to_string(), Value::String(value.to_string()));
        } else if let Some((name, delim)) = line.split_once("<<") {
            let (name, delim) = (name.trim(), delim.trim());
            if name.is_empty() || delim.is_empty() {
                return Err(format!("line {}: write `name<<DELIMITER`, then the lines, then `DELIMITER`", i + 1));
            }
            let mut value: Vec<&str> = Vec::new();
            let mut closed = false;
            for (_, l) in lines.by_ref() {
                if l == delim {
                    closed = true;
                    break;
                }
                value.push(l);
            }
            if !closed {
                return Err(format!("line {}: the block for `{name}` is not closed by a `{delim}` line", i + 1));
            }
            out.insert(name.to_string(), Value::String(value.join("\n")));
        } else {
            return Err(format!("line {}: expected `name=value` or `name<<DELIMITER`", i + 1));
        }
    }
    Ok(out)
}
